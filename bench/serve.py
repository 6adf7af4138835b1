"""Serve one folder for the streaming benchmark, in a process of its own.

``python -m bench.serve mediacaster|fileresponse PORT FOLDER [REDIS_URL]``:
mediacaster's media view, or stock Pyramid ``FileResponse`` (the reference),
both under waitress with its default 4 threads.
"""

import os
import sys

import waitress
from pyramid.config import Configurator
from pyramid.response import FileResponse

SECRET = "bench-secret-0123456789abcdef"


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
            },
        )
    else:
        app = fileresponse_app(folder)
    waitress.serve(app, listen=f"127.0.0.1:{port}", threads=4, _quiet=True)


if __name__ == "__main__":
    main()
