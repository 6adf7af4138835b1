"""The next item without a gap: before the item playing ends, the start of the one after
it is made ready, so that it starts as a file already at hand does.

The moment: the item's last ``LEAD`` seconds, or ``SHARE`` of it played, whichever
comes first. A converted next item gets its first segments made (the conversion
service's ``prepare``, through :meth:`~mediacaster.playback.plans.Playback.warm`: the
player's own requests then find them in the cache or the job on its way); a file
played as it is gets its first bytes read, and its last ones (where an MP4 made
without ``faststart`` keeps its index), so that the operating system's cache
answers the player's first requests rather than the NAS's disk. Each next item is
made ready once per player, however many reports say it is time.
"""

import logging
import os
import threading
from collections import OrderedDict

log = logging.getLogger(__name__)

LEAD = 30.0  # seconds before the end
SHARE = 0.8  # of the item played
HEAD_BYTES = 4 * 1024 * 1024  # a few seconds of a film: what a player asks for first
TAIL_BYTES = 1024 * 1024
CHUNK = 256 * 1024
REMEMBERED = 256  # next items made ready lately, not made ready again


def due(position, duration):
    """Whether an item at ``position`` of ``duration`` seconds is near enough its end
    for the next one to be made ready."""
    if not duration or duration <= 0 or position is None:
        return False
    return duration - position <= LEAD or position >= SHARE * duration


class Prefetch:
    def __init__(self, library, playback):
        self.library = library
        self.playback = playback
        self._done = OrderedDict()  # (reader, file, stream) made ready lately
        self._lock = threading.Lock()

    def ahead(self, plan, reader):
        """Make ready the start of ``plan`` (what ``reader``, a player's address, plays
        next), in the background; False when it was made ready lately."""
        path = self.library.file_path(plan.entry)
        key = (reader, path, plan.entry.mtime_ns, plan.stream.id if plan.stream is not None else None)
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return False
            self._done[key] = True
            while len(self._done) > REMEMBERED:
                self._done.popitem(last=False)
        if plan.stream is not None:
            self.playback.warm(plan, 0.0, reader)
        else:
            threading.Thread(target=read_ends, args=(path,), name="prefetch", daemon=True).start()
        return True


def read_ends(path, head=HEAD_BYTES, tail=TAIL_BYTES):
    """Read the file's first ``head`` and last ``tail`` bytes (into the OS cache); the
    bytes read."""
    done = 0
    try:
        with open(path, "rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            for start, length in ((0, min(head, size)), (max(head, size - tail), tail)):
                file.seek(start)
                while length > 0 and (chunk := file.read(min(CHUNK, length))):
                    done += len(chunk)
                    length -= len(chunk)
    except OSError as error:  # gone or unreadable: its player's own request says so
        log.info("the start of %s was not read ahead: %s", path, error)
    return done
