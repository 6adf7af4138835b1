"""Redis-backed sessions: the cookie holds only a signed id, the data lives in Redis.

What a session holds: the device chosen in this browser (``device``: id and
name) and the recent casts (``recent``: newest first).
"""

import json
import time

from pyramid.csrf import CookieCSRFStoragePolicy, get_csrf_token
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid_session_redis import RedisSessionFactory
from zope.interface import implementer

COOKIE_NAME = "mediacaster_session"
CSRF_COOKIE = "mediacaster_csrf"
MAX_RECENT = 20


def includeme(config):
    settings = config.registry.app_settings
    if settings.cookie_secure is None:
        # auto: Secure on HTTPS requests (nginx's too: waitress takes the scheme from a
        # trusted proxy's X-Forwarded-Proto), not on plain HTTP, where a browser would
        # refuse a Secure cookie for any name but localhost and logging in could not work.
        by_scheme = {False: _Cookies(settings, secure=False), True: _Cookies(settings, secure=True)}

        def cookies(request):
            return by_scheme[request.scheme == "https"]

    else:
        fixed = _Cookies(settings, secure=settings.cookie_secure)

        def cookies(request):
            return fixed

    config.set_session_factory(lambda request: cookies(request).sessions(request))
    # The session is read by the views that need it, not by pyramid_tm before every
    # request to note who made the transaction: media requests from a browser carry the
    # cookie and must stream while Redis is down, and a Redis error there, outside the
    # exception view, would answer waitress's bare 500.
    config.registry.settings["tm.annotate_user"] = False
    # The CSRF token lives in a cookie of its own, not in the Redis session:
    # reading /api/session (every page does) must not create a session for
    # every visitor; a session is made when something is stored in it.
    config.set_csrf_storage_policy(_CSRFCookie(cookies))
    # Requests that carry the session cookie and change state must send the
    # page's token in X-CSRF-Token (or a csrf_token form field); scripts that
    # send no cookie have nothing to forge and need none.
    config.set_default_csrf_options(
        require_csrf=True, header="X-CSRF-Token", callback=lambda request: COOKIE_NAME in request.cookies
    )


class _Cookies:
    """The session factory and the CSRF cookie policy, both with the same Secure flag."""

    def __init__(self, settings, secure):
        self.sessions = RedisSessionFactory(
            secret=settings.secret,
            timeout=settings.session_timeout,
            cookie_name=COOKIE_NAME,
            cookie_max_age=settings.session_timeout,
            cookie_secure=secure,
            cookie_httponly=True,
            cookie_samesite="Lax",
            redis_client_callable=lambda request, **kwargs: request.registry.services.redis,
            # JSON rather than the default pickle: session data stays readable
            # in Redis and a tampered value cannot run code.
            serialize=lambda data: json.dumps(data).encode(),
            deserialize=json.loads,
            set_redis_ttl=True,
        )
        self.csrf = CookieCSRFStoragePolicy(
            cookie_name=CSRF_COOKIE, secure=secure, httponly=True, samesite="Lax"
        )


@implementer(ICSRFStoragePolicy)
class _CSRFCookie:
    """The CSRF cookie policy of the request's :class:`_Cookies`."""

    def __init__(self, cookies):
        self.cookies = cookies

    def new_csrf_token(self, request):
        return self.cookies(request).csrf.new_csrf_token(request)

    def get_csrf_token(self, request):
        return self.cookies(request).csrf.get_csrf_token(request)

    def check_csrf_token(self, request, supplied_token):
        return self.cookies(request).csrf.check_csrf_token(request, supplied_token)


def has_session(request):
    return COOKIE_NAME in request.cookies


def chosen_device(session):
    return session.get("device")


def choose_device(session, device):
    session["device"] = {"id": device.id, "name": device.name}


def remember_cast(session, entry, device):
    recent = [item for item in session.get("recent", []) if item.get("path") != f"{entry.root}/{entry.path}"]
    recent.insert(
        0,
        {
            "time": time.time(),
            "title": entry.name,
            "path": f"{entry.root}/{entry.path}",
            "kind": entry.kind,
            "device": device.name,
        },
    )
    session["recent"] = recent[:MAX_RECENT]


def clear(session):
    session.invalidate()


def session_summary(request):
    """What this session holds, and the token its page sends back."""
    session = request.session
    return {
        "device": chosen_device(session),
        "recent": session.get("recent", []),
        "csrf_token": get_csrf_token(request),
    }
