"""Redis-backed sessions: the cookie holds only a signed id, the data lives in Redis."""

import json

from pyramid_session_redis import RedisSessionFactory

COOKIE_NAME = "mediacaster_session"


def includeme(config):
    settings = config.registry.app_settings
    factory = RedisSessionFactory(
        secret=settings.secret,
        timeout=settings.session_timeout,
        cookie_name=COOKIE_NAME,
        cookie_max_age=settings.session_timeout,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite="Lax",
        redis_client_callable=lambda request, **kwargs: request.registry.redis,
        # JSON rather than the default pickle: session data stays readable
        # in Redis and a tampered value cannot run code.
        serialize=lambda data: json.dumps(data).encode(),
        deserialize=json.loads,
        set_redis_ttl=True,
    )
    config.set_session_factory(factory)


def session_summary(session):
    """What a session holds, as plain data."""
    return {"new": session.new, "data": dict(session)}
