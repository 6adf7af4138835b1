"""Which videos offer seek previews, the URLs of their parts, and the latest videos' made
in idle time (the pictures are made by :mod:`mediacaster.services.previews`)."""

import contextlib
import logging
import threading

from mediacaster.errors import NotFound
from mediacaster.services.previews import VTT_NAME, PreviewsUnavailable

log = logging.getLogger(__name__)
LATEST = 12  # videos, the latest to arrive: what the home page's Recently added shows


def previews_of(services, entry, probe=None):
    """The entry's :class:`~mediacaster.services.previews.Previews` (made or not), or
    :class:`PreviewsUnavailable`; ``probe``: the entry's, when already read."""
    if entry.kind != "video":
        raise PreviewsUnavailable("only videos have seek previews")
    probe = probe if probe is not None else services.playback.read(entry)
    return services.previews.find(services.library.file_path(entry), probe)


def sheet_urls(urls, entry, found):
    """``url(index)`` of the previews' sheets (``urls``: an EntryUrls)."""
    return lambda index: urls.previews(entry, found.sheet_name(index))


def track_url(services, urls, entry, probe):
    """The URL of the entry's WebVTT thumbnail track, or None when it has none to offer;
    offered for a video not read yet (``probe`` None): its track says."""
    if not services.previews.enabled or entry.kind != "video":
        return None
    if probe is not None:
        try:
            previews_of(services, entry, probe)
        except PreviewsUnavailable:
            return None
    return urls.previews(entry, VTT_NAME)


class IdlePreviews:
    """Makes the seek previews of the latest videos to arrive while the app is idle (no
    conversion running), one at a time, so that they are ready when first played."""

    def __init__(self, services, busy, interval, latest=LATEST):
        self.services = services  # the library, search index, playback and previews
        self.busy = busy  # () -> whether the app is doing work people wait for
        self.interval = interval
        self.latest = latest
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        if self.services.previews.enabled:
            self._thread = threading.Thread(target=self._run, name="idle-previews", daemon=True)
            self._thread.start()
        return self

    def close(self):
        self._stop.set()

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.once()
            except Exception:  # the next round tries again; players ask for them anyway
                log.exception("making seek previews in idle time failed")

    def once(self):
        """Make what is missing of the latest videos' previews; how many sets were made."""
        made = 0
        for hit, _ in self.services.search.recent(self.latest):
            if hit.kind != "video":
                continue
            if self._stop.is_set() or self.busy():
                break
            try:
                entry = self.services.library.entry(hit.root, hit.path.split("/"))
                found = previews_of(self.services, entry)
            except (NotFound, PreviewsUnavailable):
                continue  # gone meanwhile, or no previews to make
            if self.services.previews.sheets(found) is None:
                with contextlib.suppress(PreviewsUnavailable):
                    self.services.previews.start(found).result()
                    made += 1
        return made
