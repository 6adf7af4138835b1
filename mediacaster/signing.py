"""Expiring signatures for media URLs.

A Chromecast sends no cookies, so a media URL carries its own proof: an expiry
time and an HMAC over the root, the path, that time and, with logins on, the id
of the user it was made for (``u``: the app checks at each request that this
user still exists and sees the root), keyed by a key derived from the app's
secret. Expiry times are rounded up to the hour so that the URL
of a file stays the same for an hour and browsers can cache what it serves.
"""

import base64
import hashlib
import hmac
import time

from mediacaster.errors import Forbidden

BUCKET = 3600


class SignatureError(Forbidden):
    """A media URL is unsigned, forged or expired; the message says which."""


class UrlSigner:
    def __init__(self, secret, ttl):
        self.key = hashlib.sha256(b"mediacaster media url\0" + secret.encode()).digest()
        self.ttl = ttl

    def expiry(self, now=None):
        """The expiry a URL signed now carries: at least ``ttl`` ahead, rounded up to the hour."""
        now = time.time() if now is None else now
        return (int(now + self.ttl) // BUCKET + 1) * BUCKET

    def signature(self, root, path, expires, user=None):
        message = f"{root}\0{path}\0{expires}\0{'' if user is None else user}"
        message = message.encode("utf-8", "surrogateescape")
        # hmac.digest: the one-shot C implementation, several times faster than
        # hmac.new for short messages, and a listing signs thousands.
        digest = hmac.digest(self.key, message, "sha256")[:18]
        return base64.urlsafe_b64encode(digest).decode()

    def sign(self, root, path, now=None, user=None):
        """Return the query parameters ``{"exp": ..., ["u": ...,] "sig": ...}`` for a path."""
        expires = self.expiry(now)
        bound = {} if user is None else {"u": str(user)}
        return {"exp": str(expires), **bound, "sig": self.signature(root, path, expires, user)}

    def verify(self, root, path, expires, signature, now=None, user=None):
        """Check a URL's signature; ``user``: its ``u`` parameter as given, or None."""
        if not expires or not signature:
            raise SignatureError(
                "this media URL carries no signature: use the stream_url or download_url the app hands out"
            )
        try:
            expires_at = int(expires)
        except ValueError:
            raise SignatureError("this media URL has a malformed expiry time") from None
        expected = self.signature(root, path, expires_at, user).encode()
        # As bytes: compare_digest refuses str with non-ASCII characters.
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
            raise SignatureError("this media URL's signature does not match its path")
        now = time.time() if now is None else now
        if expires_at < now:
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
            raise SignatureError(f"this media URL expired at {stamp}: ask the app for a fresh one")
