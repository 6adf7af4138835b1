"""Cache busting for the static files: each URL carries a hash of the file's content.

``/static/app.js?v=3f2a…`` is served with a one-year ``Cache-Control``, so a
browser fetches each version of app.js and app.css once and never asks again.
That is only safe because the URL changes with the content: a new app.js has a
new hash, hence a new URL, and no browser keeps running yesterday's script
against today's API. A hash of the bytes (rather than the package version or
the file's mtime) gives the same URL on every machine and every install of the
same files, and a new one whenever a file really changed, whatever the version
number says.

Each file is hashed once per process, the first time a page asks for its URL
(a missing file raises, naming its path: a typo in a template or a wheel
without its static files fails loudly instead of serving pages without CSS).
With ``pyramid.reload_assets = true`` (development) a file is hashed again
whenever its size or mtime changes, so an edit gets a new URL without a restart.
"""

import hashlib
import os

from pyramid.asset import abspath_from_asset_spec
from pyramid.static import QueryStringCacheBuster

TOKEN_LENGTH = 12  # hex digits of SHA-256: 48 bits, ample to tell versions of one file apart


class ContentHashCacheBuster(QueryStringCacheBuster):
    """Adds ``?v=<first 12 hex digits of the file's SHA-256>`` to asset URLs."""

    def __init__(self, param="v", reload=False):
        super().__init__(param=param)
        self.reload = reload
        self._tokens = {}  # key -> token; a race only hashes a file twice

    def tokenize(self, request, subpath, kw):
        # kw["pathspec"] is the asset spec of the file ("mediacaster:static/app.js") or its path.
        path = abspath_from_asset_spec(kw["pathspec"])
        key = path
        if self.reload:
            stat = os.stat(path)
            key = (path, stat.st_size, stat.st_mtime_ns)
        token = self._tokens.get(key)
        if token is None:
            with open(path, "rb") as file:
                token = hashlib.sha256(file.read()).hexdigest()[:TOKEN_LENGTH]
            self._tokens[key] = token
        return token
