"""Every route of the app, in one place."""

from mediacaster.assets import ContentHashCacheBuster

# The static files, as an asset spec: found in the installed package, wherever it is.
STATIC_DIR = "mediacaster:static/"


def includeme(config):
    # Asset URLs carry a hash of the file's content (mediacaster.assets): cached for a year.
    config.add_static_view("static", STATIC_DIR, cache_max_age=365 * 24 * 3600)
    config.add_cache_buster(
        STATIC_DIR, ContentHashCacheBuster(reload=config.registry.settings["pyramid.reload_assets"])
    )

    config.add_route("home", "/")
    config.add_route("library.folder", "/library/{root}*path")
    config.add_route("library.search", "/search")
    config.add_route("library.slideshow", "/slideshow/{root}*path")
    config.add_route("media.stream", "/media/{root}*path")
    config.add_route("media.download", "/download/{root}*path")
    config.add_route("media.subtitles", "/subtitles/{root}*path")
    config.add_route("media.picture", "/picture/{root}*path")
    # A file converted into HLS: its playlist, and its segments (init.mp4, 0.m4s, 1.m4s…)
    # of one version of the file.
    config.add_route("media.playlist", "/playlist/{variant}/{root}*path")
    config.add_route("media.manifest", "/manifest/{variant}/{name}/{root}*path")
    # The segment's name comes last: players guess a segment's format from its URL's extension.
    config.add_route("media.segment", "/segment/{variant}/{version}/{root}*path")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("account", "/account")
    config.add_route("account.tokens", "/account/tokens")
    config.add_route("account.token", "/account/tokens/{id}/revoke")
    config.add_route("account.password", "/account/password")
    config.add_route("setup", "/setup")
    config.add_route("admin.users", "/admin/users")
    config.add_route("admin.user", "/admin/users/{id}")
    config.add_route("admin.user.password", "/admin/users/{id}/password")
    config.add_route("admin.user.remove", "/admin/users/{id}/remove")
    config.add_route("session.show", "/session")
    config.add_route("session.clear", "/session/clear")
    config.add_route("health", "/healthz")

    config.add_route("api.library.roots", "/api/library")
    config.add_route("api.library", "/api/library/{root}*path")
    config.add_route("api.search", "/api/search")
    config.add_route("api.session", "/api/session")
    config.add_route("api.session.device", "/api/session/device")
    config.add_route("api.playback", "/api/playback/{root}*path")
    config.add_route("api.progress", "/api/progress/{root}*path")
    config.add_route("api.watched", "/api/watched/{root}*path")
    config.add_route("api.tokens", "/api/tokens")
    config.add_route("api.token", "/api/tokens/{id}")
    config.add_route("api.users", "/api/users")
    config.add_route("api.user", "/api/users/{id}")
    config.add_route("api.devices", "/api/devices")
    config.add_route("api.cast", "/api/cast")
    config.add_route("api.queue", "/api/queue")
    config.add_route("api.queue.action", "/api/queue/{action}")
    config.add_route("api.slideshow", "/api/slideshow")
    config.add_route("api.slideshow.action", "/api/slideshow/{action}")
    config.add_route("api.status", "/api/status")
    config.add_route("api.player", "/api/player/{action}")
    config.add_route("api.openapi", "/api/openapi.json")
