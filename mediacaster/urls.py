"""URLs of library entries and static assets, built in one place for pages, the API and devices."""

from pyramid.encode import urlencode
from pyramid.request import Request
from pyramid.traversal import PATH_SAFE

from mediacaster import bytenames
from mediacaster.routes import STATIC_DIR
from mediacaster.services.conversion.names import INIT_NAME, segment_name


def includeme(config):
    config.add_request_method(entry_urls, "entry_urls")
    config.add_request_method(asset_url, "asset_url")
    # Shorthands for templates.
    config.add_request_method(lambda request, *a, **kw: entry_urls(request).folder(*a, **kw), "library_url")
    config.add_request_method(lambda request, entry: entry_urls(request).stream(entry), "stream_url")
    config.add_request_method(lambda request, entry: entry_urls(request).download(entry), "download_url")
    config.add_request_method(lambda request, entry: entry_urls(request).picture(entry), "picture_url")


class EntryUrls:
    """Every URL of library entries, from prefixes built once per request.

    A folder of 10,000 files needs 50,000 URLs, and ``route_url`` costs about
    10 µs each: the URL of each route at a root is built once, and each entry's
    path, quoted once the way Pyramid quotes a ``*path`` remainder, is appended.
    Media URLs carry an expiring signature (a device sends no cookie): one
    expiry for the whole request, one HMAC per entry, bound with logins on to
    the user asking (:func:`signing_user`). ``base`` replaces the
    application URL, for a device that fetches from an address it can reach.
    """

    def __init__(self, request, base=None):
        self.request = request
        self.base = base
        self.signer = request.registry.services.signer
        self.expires = self.signer.expiry()
        self.user = signing_user(request)
        self._bound = "" if self.user is None else f"&u={self.user}"
        # What every URL built here depends on besides the entry itself.
        self.generation = (base or request.application_url, self.expires, self.user)
        self._prefixes = {}
        self._signatures = {}
        self._quoted = ("", "")  # (path, quoted path) of the last entry: its URLs come together

    def prefix(self, route, root, **parts):
        """The route's URL up to the entry's path; ``parts``: its other placeholders."""
        key = (route, root, *parts.items())
        prefix = self._prefixes.get(key)
        if prefix is None:
            extra = {"_app_url": self.base} if self.base else {}
            prefix = self._prefixes[key] = self.request.route_url(route, root=root, path="", **parts, **extra)
        return prefix

    def url(self, route, root, path, **query):
        """URL of the ``/{root}*path`` route ``route`` for a '/'-joined ``path``."""
        url = self.prefix(route, root) + self._quote(path)
        return url + "?" + urlencode(query) if query else url

    def _quote(self, path):
        if not path:
            return ""
        if self._quoted[0] != path:
            self._quoted = (path, "/" + bytenames.quote(path, safe=PATH_SAFE))
        return self._quoted[1]

    def links(self, entry):
        """The URLs of an entry's JSON at once: its page and API entry, and for files
        the signed media URLs, from one quoted path and one signature."""
        links = {
            "url": self.url("library.folder", entry.root, entry.path),
            "api_url": self.url("api.library", entry.root, entry.path),
        }
        if not entry.is_dir:
            links["stream_url"] = self.stream(entry)
            links["download_url"] = self.download(entry)
            if entry.is_media:
                links["picture_url"] = self.picture(entry)
        return links

    def signature(self, entry):
        """``?exp=…&sig=…`` for the entry."""
        key = (entry.root, entry.path)
        query = self._signatures.get(key)
        if query is None:
            signature = self.signer.signature(entry.root, entry.path, self.expires, self.user)
            query = self._signatures[key] = f"?exp={self.expires}{self._bound}&sig={signature}"
        return query

    def folder(self, root, segments=(), **query):
        return self.url("library.folder", root, "/".join(segments), **query)

    def _signed(self, route, entry):
        return self.url(route, entry.root, entry.path) + self.signature(entry)

    def stream(self, entry):
        return self._signed("media.stream", entry)

    def download(self, entry):
        return self._signed("media.download", entry)

    def picture(self, entry):
        return self._signed("media.picture", entry)

    def slide(self, entry, screen):
        """An image fitted into a screen of ``screen`` lines, for a slideshow."""
        return self._signed("media.picture", entry) + f"&screen={screen}"

    def previews(self, entry, name):
        """A part of a video's seek previews: ``thumbnails.vtt`` or one of its sheets."""
        return self.url("media.previews", entry.root, f"{entry.path}/{name}") + self.signature(entry)

    def subtitles(self, entry, track_id):
        return self._signed("media.subtitles", entry) + f"&track={track_id}"

    def playlist(self, entry, variant):
        """The HLS playlist of ``entry`` converted as ``variant`` (a Variant's token)."""
        return self.prefix("media.playlist", entry.root, variant=variant) + (
            self._quote(entry.path) + self.signature(entry)
        )

    def manifest(self, entry, variant, name):
        """A manifest of ``entry`` converted as ``variant``: ``master.m3u8`` or ``stream.mpd``."""
        return self.prefix("media.manifest", entry.root, variant=variant, name=name) + (
            self._quote(entry.path) + self.signature(entry)
        )

    def segments(self, entry, variant, version):
        """``(init URL, segment URL of index)`` of a converted stream: one prefix for all."""
        head = self.prefix("media.segment", entry.root, variant=variant, version=version)
        head += self._quote(entry.path)
        tail = self.signature(entry)
        return f"{head}/{INIT_NAME}{tail}", lambda index: f"{head}/{segment_name(index)}{tail}"


SIGNED_FOR = "_signed_for"  # request.__dict__: the user of the signed media URL it came by


def signing_user(request):
    """Whose media URLs a request makes: the user of the signed media URL it came by
    (a playlist's segments are for whoever its URL was for), else the user asking;
    None with logins off."""
    if SIGNED_FOR in request.__dict__:
        return request.__dict__[SIGNED_FOR]
    identity = request.identity  # logins off: the demo user, of no id
    return identity.user_id if identity is not None else None


def entry_urls(request):
    """The request's :class:`EntryUrls` (made once per request)."""
    urls = request.__dict__.get("_entry_urls")
    if urls is None:
        urls = request.__dict__["_entry_urls"] = EntryUrls(request)
    return urls


def device_urls(request, address):
    """URLs a cast device fetches, signed and absolute.

    ``address`` is this machine's end of the connection to the device (see
    ``CastService.local_address``): an address the device demonstrably reaches,
    never a host name, loopback for a remote device, or a VPN or container
    bridge. ``mediacaster.public_url`` replaces it, for example when nginx
    serves the app under a prefix.
    """
    base = request.registry.app_settings.public_url
    if not base:
        host = f"[{address}]" if ":" in address else address
        base = f"http://{host}:{request.server_port}{request.script_name}"
    return EntryUrls(request, base)


def later_device_urls(registry, application_url, user_id, address):
    """:func:`device_urls` outside any request (a queue's next item, made when the device
    moves on): the app's URL as the request that started the queue saw it, and media
    URLs made for the user who started it."""
    request = Request.blank("/", base_url=application_url)
    request.registry = registry
    request.__dict__[SIGNED_FOR] = user_id
    return device_urls(request, address)


def asset_url(request, name):
    """URL of a file of mediacaster/static, with the cache-busting hash of its content."""
    return request.static_url(STATIC_DIR + name)
