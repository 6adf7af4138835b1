"""Who is asking, and what they may do: the app's Pyramid security policy.

The identity comes from an API token (``Authorization: Bearer …``, for
scripts: no cookie, so no CSRF token either) or from the browser's Redis
session (the user's id, stored at login). Every view declares its
permission, one of :data:`PERMISSIONS` or ``NO_PERMISSION_REQUIRED`` (media
URLs, fetched by devices that send no cookie, are checked by their signature
instead); a test lists every route and fails when a view has none.

With ``mediacaster.auth = off`` (the demo) everyone is the demo user, an
administrator: pages say so in a banner.
"""

from dataclasses import dataclass

from pyramid.security import Allowed, Denied

from mediacaster.errors import NotFound
from mediacaster.models.accounts import ADMIN, User
from mediacaster.services.accounts import password_mark, user_of_token
from mediacaster.services.library import split_path, unknown_root
from mediacaster.session import COOKIE_NAME

# library: browse and play; cast: devices and the player; account: one's own tokens;
# administer: other people's accounts.
LIBRARY, CAST, ACCOUNT, ADMINISTER = "library", "cast", "account", "administer"
PERMISSIONS = (LIBRARY, CAST, ACCOUNT, ADMINISTER)
USER_KEY = "user_id"  # in the Redis session
PASSWORD_KEY = "password_mark"  # the password the session was logged in with (its fingerprint)


@dataclass(frozen=True)
class Identity:
    user_id: int | None
    name: str
    role: str
    roots: tuple | None  # the roots this user sees; None: every root

    @classmethod
    def of(cls, user):
        return cls(user.id, user.name, user.role, None if user.roots is None else tuple(user.roots))


DEMO = Identity(None, "demo", ADMIN, None)


class SecurityPolicy:
    def __init__(self, required):
        self.required = required

    def identity(self, request):
        if not self.required:
            return DEMO
        if "_identity" not in request.__dict__:
            # Nobody while Redis is down, for the rest of this request too: its error
            # page must not ask the store again (and fail where nothing catches it).
            request.__dict__["_identity"] = None
            request.__dict__["_identity"] = self._identify(request)
        return request.__dict__["_identity"]

    def _identify(self, request):
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            # A transaction of its own: noting the token's use must not keep the request's
            # transaction writing (SQLite has one writer) while the request casts or queues.
            with request.registry.services.database.sessions.begin() as session:
                user = user_of_token(session, authorization[7:].strip())
                return Identity.of(user) if user is not None else None
        if COOKIE_NAME not in request.cookies:
            return None  # no session to read: never make one here
        user_id = request.session.get(USER_KEY)
        user = request.dbsession().get(User, user_id) if isinstance(user_id, int) else None
        if user is None or request.session.get(PASSWORD_KEY) != password_mark(user):
            return None  # removed, or its password changed since this session logged in
        return Identity.of(user)

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return identity.user_id if identity is not None else None

    def permits(self, request, context, permission):
        identity = self.identity(request)
        if identity is None:
            return Denied("log in first")
        if permission == ADMINISTER and identity.role != ADMIN:
            return Denied("only an administrator may do this")
        return Allowed(f"{identity.name} may {permission}")

    def remember(self, request, userid, **kw):
        """Log in: a new session id (no one who knew the old one is logged in by it)."""
        kept = {key: value for key, value in request.session.items() if key not in (USER_KEY, PASSWORD_KEY)}
        request.session.invalidate()
        request.session.update(kept)
        request.session[USER_KEY] = userid
        request.session[PASSWORD_KEY] = password_mark(request.dbsession().get(User, userid))
        request.__dict__.pop("_identity", None)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        request.__dict__.pop("_identity", None)
        return []


# -- what a user sees of the library ------------------------------------------------


def visible_roots(request):
    """The roots the user asking sees, in the library's order: every root for an
    administrator, and for everyone while logins are off."""
    roots = request.registry.services.library.roots
    identity = request.identity
    if identity is None:
        return []
    if identity.role == ADMIN or identity.roots is None:
        return list(roots)
    return [root for root in roots if root in identity.roots]


def library_entry(request, root, segments):
    """The library's entry, or NotFound for a root the user does not see: the
    library's answer for a root that does not exist, so root names do not leak."""
    if root in request.registry.services.library.roots and root not in visible_roots(request):
        raise NotFound(unknown_root(root))
    return request.registry.services.library.entry(root, segments)


def library_lookup(request, path):
    """:func:`library_entry` of a ``"<root>/<path below it>"`` string, as scripts name files."""
    root, *segments = split_path(path) or ("",)
    return library_entry(request, root, tuple(segments))


def includeme(config):
    config.set_security_policy(SecurityPolicy(config.registry.app_settings.auth))
