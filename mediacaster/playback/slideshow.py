"""Slideshows on devices: a folder's pictures one after the other, every few seconds,
each fitted by the server to the TV's screen (a 20-megapixel photo would be slow to
fetch and decode, and a receiver shows at most 1080 lines).

A receiver shows a picture until told otherwise, so the app moves the show on: a
timer per device loads the next picture. Slideshows live in memory: a restart ends
them. When another sender takes the device or stops it, the show stops there.
"""

import contextlib
import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Literal

from mediacaster.errors import AppError, NotFound
from mediacaster.services.cast import (
    ADVANCED,
    ENDED,
    GONE,
    RETURNED,
    CastMedia,
    Device,
    LoadFailed,
    NothingPlaying,
)

log = logging.getLogger(__name__)

TV_SCREEN = 1080  # lines: the pictures a device is sent fit a 1920x1080 screen
INTERVAL_MIN, INTERVAL_MAX = 2, 3600  # seconds


class SlideshowError(ValueError):
    """A slideshow that cannot be shown or changed as asked: the message says why."""


@dataclass
class Show:
    user_id: int | None
    device: Device
    app_url: str
    folder: tuple[str, str]  # (root, path)
    images: list[tuple[str, str]]  # (root, path) of each
    position: int
    interval: float
    paused: bool = False
    state: Literal["playing", "ended", "stopped", "taken_over"] = "playing"
    timer: threading.Timer | None = field(default=None, repr=False)
    # Which timer may move it on: one that fired as it was replaced (a step, a new
    # interval) waits for the lock, then finds itself outdated.
    tick: int = 0


class Slideshows:
    def __init__(self, cast, library, urls_for):
        """``urls_for(app_url, user_id, address)``: see :class:`mediacaster.playback.queue.QueuePlayer`."""
        self.cast = cast
        self.library = library
        self.urls_for = urls_for
        self._shows = {}  # device id -> Show
        self._lock = threading.RLock()
        self._closed = False

    def start(self, user_id, device, folder, images, app_url, interval=5.0, start=0):
        if not images:
            raise SlideshowError("this folder has no pictures")
        if not 0 <= start < len(images):
            raise SlideshowError(f"start must be from 0 to {len(images) - 1}")
        with self._lock:
            self._cancel(device.id)
            show = Show(user_id, device, app_url, folder, images, start, check_interval(interval))
            self._shows[device.id] = show
            self._show(show)
            return show

    def view(self, device_id):
        return self._shows.get(device_id)

    def move(self, device_id, step):
        with self._lock:
            show = self._live(device_id)
            show.position = (show.position + step) % len(show.images)
            self._show(show)
            return show

    def pause(self, device_id, paused):
        with self._lock:
            show = self._live(device_id)
            show.paused = paused
            self._schedule(show)
            return show

    def set_interval(self, device_id, seconds):
        with self._lock:
            show = self._live(device_id)
            show.interval = check_interval(seconds)
            self._schedule(show)
            return show

    def stop(self, device_id):
        with self._lock:
            show = self._live(device_id)
            self._end(show, "stopped")
        with contextlib.suppress(NothingPlaying):  # the receiver had let the picture go
            self.cast.stop_media(device_id)
        return show

    def replaced(self, device_id):
        """Something else was cast to the device by this app: the show ends there."""
        with self._lock:
            self._cancel(device_id)

    def close(self):
        with self._lock:
            self._closed = True
            for show in self._shows.values():
                if show.timer is not None:
                    show.timer.cancel()

    # -- showing ---------------------------------------------------------------------

    def _live(self, device_id):
        show = self._shows.get(device_id)
        if show is None:
            raise SlideshowError("no slideshow on this device")
        if show.state != "playing":
            raise SlideshowError(f"the slideshow is {show.state.replace('_', ' ')}: start it again")
        return show

    def _show(self, show):
        """Load the picture at the show's position on the device, or the first one after it
        that the device can show (a damaged file is passed over), and time the next."""
        urls = self.urls_for(show.app_url, show.user_id, self.cast.local_address(show.device.id))
        for _ in show.images:
            root, path = show.images[show.position]
            try:
                entry = self.library.entry(root, tuple(path.split("/")))
                media = CastMedia(urls.slide(entry, TV_SCREEN), "image/jpeg", "image", entry.name)
                self.cast.cast(show.device.id, media, on_change=functools.partial(self._on_change, show))
                break
            except (LoadFailed, NotFound) as error:
                log.info("slideshow on %s: passed over %s: %s", show.device.name, path, error)
                show.position = (show.position + 1) % len(show.images)
        else:
            self._end(show, "stopped")
            raise SlideshowError(f"none of the pictures can be shown on {show.device.name}")
        self._schedule(show)

    def _schedule(self, show):
        if show.timer is not None:
            show.timer.cancel()
        show.timer = None
        show.tick += 1
        if not show.paused and show.state == "playing":
            show.timer = threading.Timer(show.interval, self._next, args=(show, show.tick))
            show.timer.daemon = True
            show.timer.start()

    def _next(self, show, tick):
        with self._lock:
            if self._closed or self._shows.get(show.device.id) is not show or show.tick != tick:
                return
            if show.state != "playing" or show.paused:
                return
            show.position = (show.position + 1) % len(show.images)
            try:
                self._show(show)
            except (AppError, SlideshowError) as error:  # the device went away: the show ends there
                log.warning("slideshow on %s: %s", show.device.name, error)
                self._end(show, "stopped")

    def _on_change(self, show, how, url):
        if how in (ADVANCED, ENDED, GONE, RETURNED):
            # The next picture, loaded by the show itself; a receiver done "playing" one; a
            # device out of reach or back, which the show's next picture finds out.
            return
        with self._lock:
            if show.state == "playing":
                self._end(show, how)

    def _end(self, show, state):
        show.state = state
        if show.timer is not None:
            show.timer.cancel()
            show.timer = None

    def _cancel(self, device_id):
        show = self._shows.get(device_id)
        if show is not None and show.state == "playing":
            self._end(show, "stopped")


def check_interval(seconds):
    if not INTERVAL_MIN <= seconds <= INTERVAL_MAX:
        raise SlideshowError(f"the interval is from {INTERVAL_MIN} to {INTERVAL_MAX} seconds")
    return float(seconds)
