"""Serve one folder for the streaming benchmark, in a process of its own.

``python -m bench.serve mediacaster|fileresponse|floor PORT FOLDER [REDIS_URL]``:
mediacaster's media view, stock Pyramid ``FileResponse`` (the reference), or
waitress's floor (64 KiB from memory, no framework, no file), all under
waitress with its default 4 threads.
"""

import os
import sys

import waitress
from pyramid.config import Configurator
from pyramid.response import FileResponse

SECRET = "bench-secret-0123456789abcdef"
# Logins are on, as in production: media URLs are bound to this user, the API takes its token.
USER_ID, TOKEN = 1, "mc_bench-token"


def fileresponse_app(folder):
    def media(request):
        path = os.path.join(folder, *request.matchdict["path"])
        return FileResponse(path, request=request, content_type="video/mp4")

    def api(request):
        return {"ok": True}

    with Configurator() as config:
        config.add_route("media", "/media/m/*path")
        config.add_route("api", "/api/library/m")
        config.add_view(media, route_name="media")
        config.add_view(api, route_name="api", renderer="json")
    return config.make_wsgi_app()  # FileResponse is a conditional response: it honours Range


def floor_app(environ, start_response):
    start_response("206 Partial Content", [("Content-Length", "65536")])
    return [b"\0" * 65536]


def add_user(app):
    from mediacaster.models.accounts import ApiToken
    from mediacaster.services import accounts

    with app.registry.services.database.sessions.begin() as session:
        user = accounts.add_user(session, "bench", "bench password", role="admin")
        session.add(ApiToken(user=user, name="bench", token_hash=accounts.token_hash(TOKEN)))
    assert user.id == USER_ID


def main():
    kind, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "mediacaster":
        from mediacaster import main as make_app

        app = make_app(
            {},
            **{
                "mediacaster.roots": f"m={folder}",
                "redis.url": sys.argv[4],
                "mediacaster.secret": SECRET,
                "mediacaster.rescan_interval": "3600",
                "mediacaster.database_url": f"sqlite:///{os.path.dirname(folder)}/bench.sqlite",
            },
        )
        add_user(app)
    elif kind == "fileresponse":
        app = fileresponse_app(folder)
    else:
        app = floor_app

    waitress.serve(app, listen=f"127.0.0.1:{port}", threads=4, _quiet=True)


if __name__ == "__main__":
    main()
