"""The JSON shape of what the API answers: entries, folders, devices, status, casts, accounts.

Views hand plain objects (entries, plans, devices, statuses) to these
functions; ``mediacaster.schemas.replies`` describes what they return, and the test
suite checks every API response against that description.
"""

import hashlib
import itertools
import json
import logging
import marshal
import threading
import time
from dataclasses import asdict
from datetime import datetime, timezone

from mediacaster import bytenames
from mediacaster.mediatypes import classify
from mediacaster.models.accounts import as_utc
from mediacaster.playback.decisions import codec_name
from mediacaster.playback.verdicts import LABELS
from mediacaster.services.conversion.streams import image_subtitles
from mediacaster.services.library import Entry

log = logging.getLogger(__name__)

# Channel layouts as people say them.
CHANNELS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}


class RowCache:
    """The fixed part of entries' JSON (fields and URLs, signature included), encoded.

    It stays the same until the file changes, the URLs' signatures move to the
    next hour, the app is reached under another URL, or another user asks (their
    URLs are signed for them): each is a *generation*. A folder's listing keeps
    it for that long and splices it into the response, so that a 10,000-file
    folder lists without building 50,000 URLs and encoding 10 MB of JSON again
    on every visit. A row's probe is kept with it, encoded, while the listing
    hands the same probe (the probe service keeps each file version's probe as
    one object). Bounded in total: at most ``rows`` rows, about 1 KB each with
    its probe, in at most ``generations`` generations; the least recently used
    generation goes first, so that a household's users listing at the same time
    each keep theirs. Dict operations are atomic under CPython's GIL; the lock
    keeps the generations' order and the trimming to one thread at a time.

    With a ``store`` (a :class:`~mediacaster.services.diskcache.DiskCache`), the
    rows of a big folder's listing are kept there as well, by generation and
    folder, so that an app started again lists it without building them: a
    generation is the same after a restart (same address, hour and user) as long
    as the URLs' secret is: ``signed_with``, the signing key, names the file too.
    """

    # Bumped when a row's fields or URLs change: rows kept on disk before are not read.
    FORMAT = 1
    # A listing that built at least this many rows keeps its rows on disk.
    KEEP_FROM = 200
    # The folders named for a start's warm-up.
    FOLDERS_KEPT = 16

    def __init__(self, rows=60_000, generations=8, store=None, signed_with=b""):
        self.max_rows = rows
        self.max_generations = generations
        self.store = store
        self._secret = hashlib.sha256(signed_with).hexdigest()
        # generation -> ({entry: row}, {entry: (probe, row with it)}), least recently used first
        self._generations = {}
        # generation -> folders whose kept rows were read into it
        self._read = {}
        self._lock = threading.Lock()
        # Rows built and rows read from the store since the start (for the tests and benchmark).
        self.built = self.restored = 0

    def rows(self, generation):
        """The rows of ``generation``: ``(fixed parts, parts with their probe)``, dicts
        to read and fill."""
        with self._lock:
            tables = self._generations.pop(generation, None) or ({}, {})
            self._generations[generation] = tables  # now the most recently used
            while len(self._generations) > self.max_generations:
                oldest = next(iter(self._generations))
                del self._generations[oldest]
                self._read.pop(oldest, None)
        return tables

    # -- kept on disk ------------------------------------------------------

    def _version(self, generation, root, path):
        return f"{self.FORMAT}\0{marshal.version}\0{self._secret}\0{generation!r}\0{root}\0{path}"

    def restore(self, tables, generation, root, path):
        """Read into ``tables`` the rows kept on disk for the folder ``root``/``path``
        in ``generation``, once per generation."""
        if self.store is None:
            return
        folders = self._read.setdefault(generation, set())
        if (root, path) in folders:
            return
        folders.add((root, path))
        kept = self.store.read_bytes("rows", self._version(generation, root, path), ".marshal")
        if kept is None:
            return
        try:
            pairs = marshal.loads(kept)
            rows = tables[0]
            for fields, row in pairs:
                rows.setdefault(Entry(*fields), row)
        except (EOFError, ValueError, TypeError) as error:
            log.warning("kept rows of %s/%s unreadable: %s", root, path, error)
            return
        self.restored += len(pairs)

    def keep(self, tables, urls, root, path, entries):
        """Keep on disk the rows of ``entries`` (all in ``tables``) for the folder
        ``root``/``path``: what a restarted app's first listing of it reads."""
        if self.store is None:
            return
        rows = tables[0]
        pairs = [(tuple(entry), rows[entry]) for entry in entries if entry in rows]
        this = (root, path, urls.generation)
        folders = json.dumps([this, *(f for f in self._kept() if f != this)][: self.FOLDERS_KEPT]).encode()
        try:
            version = self._version(urls.generation, root, path)
            self.store.put_bytes("rows", version, ".marshal", marshal.dumps(pairs))
            self.store.put_bytes("rows", "folders", ".json", folders)
        except OSError as error:
            log.warning("cannot keep the rows of %s/%s: %s", root, path, error)

    def _kept(self):
        """``[(root, path, generation)]`` of the rows kept, the most recent first."""
        kept = self.store and self.store.read_bytes("rows", "folders", ".json")
        try:
            return [(root, path, tuple(generation)) for root, path, generation in json.loads(kept or "[]")]
        except (ValueError, TypeError):
            return []

    def kept_folders(self):
        """``[(root, path)]`` of the folders whose rows were kept, the most recent first:
        what is worth reading again at a start."""
        return list(dict.fromkeys((root, path) for root, path, _ in self._kept()))

    def warm(self, now=None):
        """Read the rows kept on disk whose signatures are still current (a start's
        warm-up): the first listing of their folder then finds them here."""
        now = time.time() if now is None else now
        for root, path, generation in self._kept():
            if generation[1] > now:  # the URLs' expiry: a later hour signs other URLs
                tables = self.rows(generation)
                self.restore(tables, generation, root, path)
                self.trim(tables)

    def trim(self, tables):
        """Down to 90 % of the budget once over it: the least recently used generations
        go, then the oldest rows of ``tables`` (the generation in use) if it alone is over."""
        with self._lock:
            total = sum(len(rows) for pair in self._generations.values() for rows in pair)
            if total <= self.max_rows:
                return
            low = self.max_rows * 9 // 10
            for generation, pair in list(self._generations.items()):
                if total <= low:
                    return
                if pair is not tables:
                    total -= sum(len(rows) for rows in pair)
                    del self._generations[generation]
                    self._read.pop(generation, None)
            for rows in tables:
                excess = min(total - low, len(rows))
                for key in list(itertools.islice(rows, max(0, excess))):
                    rows.pop(key, None)
                total -= max(0, excess)


def entry_json(entry, urls, details=None, verdict=None, place=None):
    """An entry for scripts; ``details`` is its ``(probe state, probe)``, ``verdict``
    whether it plays on the device asked about, ``place`` where the user is in it."""
    data = _row(entry, urls)
    data.update(_extra(details, verdict))
    if place is not None:
        data["progress"] = place_json(place)
    return data


def place_json(place):
    """Where the user is in a file (a history Place; None: never played)."""
    if place is None:
        return {
            "position": 0.0,
            "duration": None,
            "watched": False,
            "resume_at": None,
            "fraction": 0.0,
            "updated_at": None,
        }
    return {
        "position": place.position,
        "duration": place.duration,
        "watched": place.watched,
        "resume_at": place.resume_at,
        "fraction": round(place.fraction, 4),
        "updated_at": place.updated_at.isoformat(),
    }


def folder_head(folder, query, total, probe_state, pending, urls):
    """A folder's own fields: where it is, how it is sorted, how many entries it
    has (``total``) and how many files of this page are still being read."""
    parent = folder.parent
    return {
        "root": folder.root,
        "path": folder.path,
        "parent": None if parent is None else "/".join(parent),
        "parent_url": None if parent is None else urls.url("api.library", folder.root, "/".join(parent)),
        "sort": query.sort,
        "order": query.direction,
        "total": total,
        "probe": {**probe_state, "pending_here": pending},
    }


def folder_json(head, entries, urls, details, verdicts, cache, places=None):
    """A folder's JSON, as bytes: ``head`` (its own fields) and its ``entries`` as
    :func:`entry_json` would give them, with ``verdicts`` by path and the user's
    ``places`` by name, the fixed part of each taken from the :class:`RowCache` ``cache``."""
    places = places or {}
    tables = cache.rows(urls.generation)
    cache.restore(tables, urls.generation, head["root"], head["path"])
    rows, probed = tables
    dumps = bytenames.dumps
    encoded = []
    built = 0
    for entry in entries:
        fixed = rows.get(entry)
        if fixed is None:
            fixed = rows[entry] = dumps(_row(entry, urls))[:-1]
            built += 1
        detail = details.get(entry.path)
        if detail is None:
            row = fixed
        else:
            state, probe = detail
            if state == "done" and probe is not None:
                kept = probed.get(entry)
                if kept is None or kept[0] is not probe:
                    kept = probed[entry] = (probe, fixed + b',"probe_state":"done","probe":' + dumps(probe))
                row = kept[1]
            else:
                row = fixed + b"," + dumps({"probe_state": state, "probe": probe})[1:-1]
        verdict = verdicts.get(entry.path)
        if verdict is not None:
            row += b',"verdict":' + dumps(verdict_json(verdict))
        place = places.get(entry.name)
        if place is not None:  # the user's own: never in the cache
            row += b',"progress":' + dumps(place_json(place))
        encoded.append(row + b"}")
    cache.built += built
    if built >= cache.KEEP_FROM:
        cache.keep(tables, urls, head["root"], head["path"], entries)
    cache.trim(tables)
    return b"".join((dumps(head)[:-1], b',"entries":[', b",".join(encoded), b"]}"))


def _extra(details, verdict):
    extra = {}
    if details is not None:
        extra["probe_state"], extra["probe"] = details
    if verdict is not None:
        extra["verdict"] = verdict_json(verdict)
    return extra


def _row(entry, urls):
    return {
        "name": entry.name,
        "root": entry.root,
        "path": entry.path,
        "kind": entry.kind,
        "size": entry.size,
        "mtime": datetime.fromtimestamp(entry.mtime, timezone.utc).isoformat(),
        "content_type": entry.content_type,
        **urls.links(entry),
    }


def verdict_json(verdict):
    return {
        "verdict": verdict.verdict,
        "label": LABELS[verdict.verdict],
        "reason": verdict.reason,
        "delivery": verdict.delivery,
    }


def tracks_json(tracks):
    return [{"id": t.id, "label": t.label, "language": t.language, "url": t.url} for t in tracks]


def device_json(device):
    return {
        "id": device.id,
        "name": device.name,
        "model": device.model,
        "type": device.type,
        "online": device.online,
        "problem": device.problem,
        "host": device.host,
        "last_seen": device.last_seen,
    }


def status_json(status, plan=None, interrupted=None):
    """A device's status; ``plan``: the one its media was cast from, if this app cast it;
    ``interrupted``: how another sender interrupted what this app cast there, if it did."""
    media = status.media
    return {
        "interrupted": interrupted,
        "device": asdict(status.device),
        "media": None
        if media is None
        else {
            **asdict(media),
            "tracks": [{"id": t.id, "name": t.name, "language": t.language} for t in media.tracks],
            "active_tracks": list(media.active_tracks),
        },
        "audio_tracks": [] if plan is None else audio_tracks_json(plan.probe, plan.audio_index),
    }


def _track_name(track, number):
    """``(language, name)`` of a file's stream for a menu: its title, else its language,
    else "Track <number>"; "und" (undetermined) is no language."""
    language = track.get("language") if track.get("language") not in (None, "und") else None
    return language, track.get("title") or (language.upper() if language else f"Track {number}")


def audio_tracks_json(probe, chosen):
    """The sound tracks of a file, labelled for a menu: title or language, codec, channels."""
    tracks = []
    for number, track in enumerate((probe or {}).get("audio") or [], 1):
        language, name = _track_name(track, number)
        channels = track.get("channels")
        sound = codec_name(track.get("codec"))
        if channels:
            sound += " " + CHANNELS.get(channels, f"{channels} channels")
        tracks.append(
            {
                "index": track.get("index"),
                "label": f"{name} ({sound})",
                "language": language,
                "codec": track.get("codec"),
                "channels": channels,
                "default": bool(track.get("default")),
                "chosen": track.get("index") == chosen,
            }
        )
    return tracks


# Subtitles made of pictures (conversion.streams.IMAGE_SUBTITLES), by the discs they come from.
IMAGE_SUBTITLE_NAMES = {
    "dvd_subtitle": "DVD",
    "hdmv_pgs_subtitle": "Blu-ray",
    "dvb_subtitle": "DVB",
    "xsub": "DivX",
}


def image_subtitles_json(probe, chosen):
    """Subtitles made of pictures, which a conversion can draw into the video."""
    tracks = []
    burnable = image_subtitles(probe)
    for number, track in enumerate((probe or {}).get("subtitles") or [], 1):
        if track.get("index") not in burnable:
            continue
        language, name = _track_name(track, number)
        kind = IMAGE_SUBTITLE_NAMES.get(track.get("codec"), str(track.get("codec")).upper())
        tracks.append(
            {
                "index": track.get("index"),
                "label": f"{name} ({kind}, drawn into the picture)",
                "language": language,
                "chosen": track.get("index") == chosen,
            }
        )
    return tracks


def browser_plan_json(plan, urls):
    """What the page's player needs: what to load, why, and the tracks to offer."""
    entry = plan.entry
    manifests = None
    if plan.stream is not None:
        token = plan.stream.variant.token
        manifests = {
            "dash": urls.manifest(entry, token, "stream.mpd"),
            "hls": urls.manifest(entry, token, "master.m3u8"),
        }
    return {
        "path": f"{entry.root}/{entry.path}",
        "name": entry.name,
        "kind": entry.kind,
        "verdict": verdict_json(plan.verdict),
        "delivery": plan.delivery,
        "url": plan.url,
        "content_type": plan.content_type,
        "file_url": urls.stream(entry),
        "manifests": manifests,
        "duration": (plan.probe or {}).get("duration"),
        "audio": audio_tracks_json(plan.probe, plan.audio_index),
        "subtitles": tracks_json(plan.tracks),
        "image_subtitles": image_subtitles_json(plan.probe, plan.burn_index),
        "picture_url": plan.picture_url,
    }


def cast_json(device, plan, status):
    return {
        "device": device_json(device),
        "media_url": plan.url,
        "delivery": plan.delivery,
        "status": status_json(status, plan),
        "verdict": verdict_json(plan.verdict),
    }


def sees(user):
    """What a user sees, in words: "sees every root", "sees music, photos"."""
    if user.role == "admin":
        return "is an administrator and sees every root"
    return "sees every root" if user.roots is None else "sees " + ", ".join(user.roots)


def user_json(user, tokens):
    """An account as administrators see it; ``tokens``: how many API tokens it has."""
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "roots": user.roots,
        "tokens": tokens,
        "created_at": as_utc(user.created_at).isoformat(),
    }


def queue_json(queue, urls):
    """A queue on a device, its items in the order they play, with a note for each one skipped."""
    items, notes = [], []
    for position, number in enumerate(queue.order):
        item = queue.items[number]
        path = bytenames.decode(item.path)
        name = path.rpartition("/")[2]
        items.append(
            {
                "position": position,
                "root": item.root,
                "path": path,
                "name": name,
                "kind": classify(name)[1],
                "url": urls.url("library.folder", item.root, path),
                "playing": position == queue.position and queue.state == "playing",
                "skipped": item.skipped,
            }
        )
        if item.skipped:
            notes.append(f"Skipped: {item.skipped}")
    if queue.state == "waiting":
        waiting = "the queue goes on where it was once it is back"
        notes.insert(0, f"{queue.device_name} is not answering: {waiting}")
    return {
        "device": queue.device_name,
        "state": queue.state,
        "position": queue.position,
        "shuffle": queue.shuffle,
        "repeat": queue.repeat,
        "items": items,
        "notes": notes,
    }


def slideshow_json(show):
    """A slideshow on a device (a :class:`mediacaster.playback.slideshow.Show`)."""
    path = show.images[show.position][1]
    return {
        "device": show.device.name,
        "folder": "/".join(part for part in show.folder if part),
        "position": show.position,
        "count": len(show.images),
        "title": path.rpartition("/")[2],
        "interval": show.interval,
        "paused": show.paused,
        "state": show.state,
    }
