"""The app's services, created and started in one place and stopped by one ``close()``.

Services are plain objects that know nothing about HTTP. The app keeps one
:class:`Services` on its registry; views reach it through :func:`services_of`.
"""

import atexit
import functools
import gc
import logging
import threading
from pathlib import Path

from jinja2 import meta
from pyramid_jinja2 import IJinja2Environment

from mediacaster.models import Database
from mediacaster.playback import Playback
from mediacaster.playback.browsing import Browsing
from mediacaster.playback.casting import Casting, PlanCaster
from mediacaster.playback.previews import IdlePreviews
from mediacaster.playback.queue import QueuePlayer
from mediacaster.playback.slideshow import Slideshows
from mediacaster.presenters import RowCache
from mediacaster.services.access import FirstRun, RootAccess
from mediacaster.services.cast import CastService
from mediacaster.services.catalogue import Catalogue
from mediacaster.services.conversion import ConversionService
from mediacaster.services.conversion.cluster import Cluster, broker_url
from mediacaster.services.diskcache import DiskCache
from mediacaster.services.ffmpeg import Tool
from mediacaster.services.history import History
from mediacaster.services.library import LibraryService
from mediacaster.services.login_limits import LoginLimits
from mediacaster.services.photos import PhotoService
from mediacaster.services.pictures import PictureService
from mediacaster.services.previews import PreviewService
from mediacaster.services.probe import MEMO_SIZE, ProbeService
from mediacaster.services.redis_store import RedisStore
from mediacaster.services.search import SearchIndex
from mediacaster.services.subtitles import SubtitleService
from mediacaster.settings import SettingsError, writable_folder
from mediacaster.signing import UrlSigner
from mediacaster.urls import later_device_urls

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
MiB = 1024 * 1024


class Services:
    def __init__(self, settings, urls_for, warm_ups=()):
        """``urls_for(app_url, user_id, address)``: the URLs a device fetches, made outside
        a request (see :func:`mediacaster.urls.later_device_urls`), for queues and slideshows
        moving on by themselves. ``warm_ups``: callables run in the start's warm-up thread
        before the library's."""
        self.settings = settings
        writable_folder(settings.data_dir)  # the caches' home, whatever Redis and the database use
        self.database = Database.connect(settings)
        self.store = RedisStore.connect(settings)
        self.redis = self.store.client
        self.login_limits = LoginLimits(self.redis)
        self.root_access = RootAccess(self.database)
        self.first_run = FirstRun(self.database)
        self.library = LibraryService(settings.roots)
        self.search = SearchIndex(settings.roots, interval=settings.rescan_interval)
        self.signer = UrlSigner(settings.secret, settings.signed_url_ttl)
        self.ffprobe = Tool("ffprobe", settings.ffmpeg_dir)
        self.ffmpeg = Tool("ffmpeg", settings.ffmpeg_dir)
        self.cache = DiskCache(settings.data_dir / "cache", settings.cache_max_mb * MiB)
        self.conversion = ConversionService(
            self.ffmpeg,
            self.ffprobe,
            DiskCache(
                settings.data_dir / "cache" / "hls",
                settings.conversion_cache_mb * MiB,
                max_age=settings.conversion_cache_days * 24 * 3600,
            ),
            max_jobs=settings.max_conversions,
            idle_timeout=settings.conversion_idle_timeout,
            encoder=settings.video_encoder,
            cluster=Cluster(broker_url(settings, self.store))
            if settings.conversion_backend == "celery"
            else None,
            fallback=settings.conversion_fallback_local,
        )
        self.probe = ProbeService(self.redis, self.ffprobe)
        self.subtitles = SubtitleService(self.cache, self.ffmpeg)
        self.pictures = PictureService(self.cache, self.ffmpeg)
        self.previews = PreviewService(
            DiskCache(settings.data_dir / "cache" / "previews", settings.previews_cache_mb * MiB),
            self.ffmpeg,
            enabled=settings.previews,
            # Made after a conversion's start, which a player waits for.
            yield_to=self.conversion.jobs.starting,
        )
        self.photos = PhotoService(self.redis)
        self.cast = CastService(
            known_hosts=settings.known_hosts,
            interfaces=list(settings.discovery_interfaces) or None,
            progress_every=settings.progress_interval,
        )
        self.history = History(self.database, self.redis)
        self.catalogue = (
            Catalogue(self.database, self.library, settings.catalogue_rescan_interval)
            if settings.catalogue
            else None
        )
        self.playback = Playback(
            self.library, self.probe, self.subtitles, self.pictures, self.conversion, catalogue=self.catalogue
        )
        self.idle_previews = IdlePreviews(
            self,
            busy=lambda: bool(self.conversion.jobs.running()),
            interval=settings.previews_idle_interval,
        )
        self.browsing = Browsing(self.library, self.playback, self.probe, self.catalogue)
        caster = PlanCaster(self.cast, self.conversion, self.history)
        self.queue_player = QueuePlayer(
            self.database, self.library, self.playback, self.cast, caster, urls_for
        )
        # A device found (at the start, say) where this app played a queue: followed again.
        self.cast.discovery.on_found.append(self.queue_player.found)
        self.slideshows = Slideshows(self.cast, self.library, urls_for)
        self.casting = Casting(self.cast, self.playback, caster, self.queue_player, self.slideshows)
        # Presentation, kept with the rest so that it lives and dies with the app.
        # Big folders' rows are kept on disk too: they survive a restart.
        self.rows = RowCache(store=self.cache, signed_with=self.signer.key)
        self._closed = threading.Event()
        self.warm = threading.Event()  # set once the start's warm-up is over
        self.warm_ups = tuple(warm_ups)

    def start(self):
        """Start the background work: the search index, and device discovery so that
        no request ever waits for a scan."""
        # The server runner closes the services on SIGINT and SIGTERM; this
        # covers any other way the process ends normally.
        atexit.register(self.close)
        self.search.start()
        self.idle_previews.start()
        if self.catalogue is not None:
            self.catalogue.start()
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        if self.settings.auth:
            self.first_run.announce()
        if self.settings.discovery:
            try:
                self.cast.start()
            except OSError as error:
                interfaces = ",".join(self.settings.discovery_interfaces) or "all"
                raise SettingsError(
                    f"mediacaster.discovery_interfaces = {interfaces!r}: cannot listen for devices: {error}"
                ) from None
        return self

    def _warm_up(self):
        """In the background: compile the templates, and read the probes of the big folders
        listed before the start, so that their first listing costs what a later one does
        (their rows are on disk)."""
        try:
            for warm_up in self.warm_ups:
                warm_up()
            self.rows.warm()
            if self.library.warm(self.rows.kept_folders(), self.probe.cached_many, MEMO_SIZE):
                # The objects made since the start (the app, the probes read) would set off
                # a full collection in the first requests: it is done here instead.
                gc.collect()
        except Exception:  # a warm-up that fails leaves the app as fast as without it
            log.exception("warming up the caches failed")
        finally:
            self.warm.set()

    def interrupt(self):
        """Stop the work that holds requests for long (ffmpeg and ffprobe runs): the app is stopping."""
        self.ffprobe.close()
        self.ffmpeg.close()
        self.conversion.close()

    def close(self):
        """Stop every thread, pool, connection and child process; safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        for name, stop in [
            ("ffmpeg", self.interrupt),  # first: what waits on ffmpeg or ffprobe then ends at once
            ("previews", lambda: (self.idle_previews.close(), self.previews.close())),
            ("slideshows", self.slideshows.close),
            ("queues", self.queue_player.close),
            ("cast", self.cast.close),
            ("probe", self.probe.close),
            ("search", self.search.close),
            ("catalogue", lambda: self.catalogue is not None and self.catalogue.close()),
            ("history", self.history.close),  # before Redis: its writer reads what Redis kept
            ("redis", self.store.close),
            ("database", self.database.close),
        ]:
            try:
                stop()
            except Exception:  # one service failing to stop must not keep the others running
                log.exception("stopping the %s service failed", name)
        atexit.unregister(self.close)


def services_of(request) -> Services:
    """The app's services, kept on its registry. A function rather than a request property:
    Pyramid builds a new request class for every request that has any, about 20 µs that
    every media range request would pay. (The modules this one imports, below the views,
    read ``request.registry.services`` themselves.)"""
    return request.registry.services


def includeme(config):
    registry = config.registry
    registry.services = Services(
        registry.app_settings,
        # Queues and slideshows make the URLs of their next items when the device moves on,
        # outside any request.
        urls_for=functools.partial(later_device_urls, registry),
        warm_ups=[functools.partial(compile_templates, registry)],
    )


def compile_templates(registry):
    """Compile every page template, and the templates each one extends or imports under
    the name it gives them (pyramid_jinja2 names those after the template that asks):
    the first pages asked for after a start would otherwise pay for it (a tenth of a
    second and more on a small NAS)."""
    environment = registry.queryUtility(IJinja2Environment, name=".jinja2")
    if environment is None:
        return
    for name in template_names(environment):
        environment.get_template(name)


_TEMPLATE_NAMES = {}  # the latest names found, under the template files' versions
_TEMPLATE_NAMES_LOCK = threading.Lock()


def template_names(environment):
    """The names :func:`compile_templates` loads: every page template and what each uses.
    Finding them parses every template, which costs more than loading them all: done once
    per process, and again only when a template file changes (every app of a process reads
    the same folder, in the same way)."""
    versions = tuple((path, path.stat().st_mtime_ns) for path in sorted(TEMPLATES.rglob("*.jinja2")))
    with _TEMPLATE_NAMES_LOCK:
        if versions not in _TEMPLATE_NAMES:
            _TEMPLATE_NAMES.clear()
            _TEMPLATE_NAMES[versions] = _used_templates(environment, versions)
        return _TEMPLATE_NAMES[versions]


def _used_templates(environment, versions):
    pending = [path.relative_to(TEMPLATES).as_posix() for path, _ in versions]
    done = []
    while pending:
        name = pending.pop()
        if name in done:
            continue
        done.append(name)
        source = environment.loader.get_source(environment, name)[0]
        for used in meta.find_referenced_templates(environment.parse(source)):
            if used is not None:
                pending.append(environment.join_path(used, name))
    return tuple(done)
