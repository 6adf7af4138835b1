"""Every route of the app, in one place."""

from mediacaster.assets import ContentHashCacheBuster

# The static files, as an asset spec: found in the installed package, wherever it is.
STATIC_DIR = "mediacaster:static/"

# Every route by name, in the order Pyramid tries them. The OpenAPI document takes the
# paths of the api.* routes from here (mediacaster.schemas.openapi).
ROUTES = {
    "home": "/",
    "library.folder": "/library/{root}*path",
    "library.search": "/search",
    "library.slideshow": "/slideshow/{root}*path",
    # The catalogue: the library as films, shows, music and photos.
    "catalogue.films": "/films",
    "catalogue.shows": "/shows",
    "catalogue.show": "/shows/{id}",
    "catalogue.season": "/shows/{id}/seasons/{number}",
    "catalogue.music": "/music",
    "catalogue.artist": "/music/artists/{id}",
    "catalogue.album": "/music/albums/{id}",
    "catalogue.photos": "/photos",
    "media.stream": "/media/{root}*path",
    "media.download": "/download/{root}*path",
    "media.subtitles": "/subtitles/{root}*path",
    "media.picture": "/picture/{root}*path",
    # A file converted into HLS: its playlist, and its segments (init.mp4, 0.m4s, 1.m4s…)
    # of one version of the file.
    "media.playlist": "/playlist/{variant}/{root}*path",
    "media.manifest": "/manifest/{variant}/{name}/{root}*path",
    # The segment's name comes last: players guess a segment's format from its URL's extension.
    "media.segment": "/segment/{variant}/{version}/{root}*path",
    # A video's seek previews: thumbnails.vtt, and its sheets of pictures (named after its version).
    "media.previews": "/previews/{root}*path",
    "login": "/login",
    "logout": "/logout",
    "account": "/account",
    "account.tokens": "/account/tokens",
    "account.token": "/account/tokens/{id}/revoke",
    "account.password": "/account/password",
    "setup": "/setup",
    "admin.users": "/admin/users",
    "admin.user": "/admin/users/{id}",
    "admin.user.password": "/admin/users/{id}/password",
    "admin.user.remove": "/admin/users/{id}/remove",
    "session.show": "/session",
    "session.clear": "/session/clear",
    "health": "/healthz",
    # The JSON API, described by /api/openapi.json.
    "api.library.roots": "/api/library",
    "api.library": "/api/library/{root}*path",
    "api.search": "/api/search",
    "api.session": "/api/session",
    "api.session.device": "/api/session/device",
    "api.playback": "/api/playback/{root}*path",
    "api.progress": "/api/progress/{root}*path",
    "api.watched": "/api/watched/{root}*path",
    "api.films": "/api/films",
    "api.shows": "/api/shows",
    "api.show": "/api/shows/{id}",
    "api.season": "/api/shows/{id}/seasons/{number}",
    "api.artists": "/api/artists",
    "api.artist": "/api/artists/{id}",
    "api.album": "/api/albums/{id}",
    "api.photos": "/api/photos",
    "api.next_up": "/api/next-up",
    "api.scan": "/api/scan",
    "api.tokens": "/api/tokens",
    "api.token": "/api/tokens/{id}",
    "api.users": "/api/users",
    "api.user": "/api/users/{id}",
    "api.devices": "/api/devices",
    "api.cast": "/api/cast",
    "api.queue": "/api/queue",
    "api.queue.action": "/api/queue/{action}",
    "api.slideshow": "/api/slideshow",
    "api.slideshow.action": "/api/slideshow/{action}",
    "api.status": "/api/status",
    "api.player": "/api/player/{action}",
    "api.conversions": "/api/conversions",
    "api.openapi": "/api/openapi.json",
}


def includeme(config):
    # Asset URLs carry a hash of the file's content (mediacaster.assets): cached for a year.
    config.add_static_view("static", STATIC_DIR, cache_max_age=365 * 24 * 3600)
    config.add_cache_buster(
        STATIC_DIR, ContentHashCacheBuster(reload=config.registry.settings["pyramid.reload_assets"])
    )
    for name, pattern in ROUTES.items():
        config.add_route(name, pattern)
