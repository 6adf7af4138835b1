"""Every route of the app, in one place."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def includeme(config):
    config.add_static_view("static", str(STATIC_DIR), cache_max_age=3600)

    config.add_route("home", "/")
    config.add_route("library.folder", "/library/{root}*path")
    config.add_route("library.search", "/search")
    config.add_route("media.stream", "/media/{root}*path")
    config.add_route("media.download", "/download/{root}*path")
    config.add_route("media.subtitles", "/subtitles/{root}*path")
    config.add_route("media.picture", "/picture/{root}*path")
    config.add_route("session.show", "/session")
    config.add_route("session.clear", "/session/clear")
    config.add_route("health", "/healthz")

    config.add_route("api.library.roots", "/api/library")
    config.add_route("api.library", "/api/library/{root}*path")
    config.add_route("api.search", "/api/search")
    config.add_route("api.session", "/api/session")
    config.add_route("api.session.device", "/api/session/device")
    config.add_route("api.devices", "/api/devices")
    config.add_route("api.cast", "/api/cast")
    config.add_route("api.status", "/api/status")
    config.add_route("api.player", "/api/player/{action}")
    config.add_route("api.openapi", "/api/openapi.json")
