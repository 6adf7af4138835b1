"""The JSON shape of what the API answers: entries, folders, devices, status, casts.

Views hand plain objects (entries, plans, devices, statuses) to these
functions; ``mediacaster.apispec`` describes what they return, and the test
suite checks every API response against that description.
"""

import itertools
import threading
from dataclasses import asdict
from datetime import datetime, timezone

import orjson

from mediacaster.playback.verdicts import LABELS

# The fixed part of an entry's JSON (its fields and URLs, signature included)
# stays the same until the file changes, the URLs' signatures move to the next
# hour, or the app is reached under another URL. A folder's listing keeps it
# encoded for that long and splices it into the response, so that a
# 10,000-file folder lists without building 50,000 URLs and encoding 7 MB of
# JSON again on every visit.
ROWS_KEPT = 50_000
_rows = {}  # generation -> {entry: its fixed part, as JSON without the closing brace}
_rows_lock = threading.Lock()


def entry_json(entry, urls, details=None, verdict=None):
    """An entry for scripts; ``details`` is its ``(probe state, probe)`` and
    ``verdict`` whether it plays on the device asked about."""
    data = _row(entry, urls)
    data.update(_extra(details, verdict))
    return data


def folder_json(head, entries, urls, details, verdict=None):
    """A folder's JSON, as bytes: ``head`` (its own fields) and its ``entries`` as
    :func:`entry_json` would give them; ``verdict(entry, probe)`` adds the verdict
    of each media entry, if asked."""
    rows = _rows.get(urls.generation)
    if rows is None:
        rows = _generation(urls.generation)
    dumps = orjson.dumps
    encoded = []
    for entry in entries:
        fixed = rows.get(entry)
        if fixed is None:
            fixed = rows[entry] = dumps(_row(entry, urls))[:-1]
            if len(rows) > ROWS_KEPT:
                _forget_oldest(rows)
        detail = details.get(entry.path)
        if detail is None:
            encoded.append(fixed + b"}")
        else:
            found = verdict(entry, detail[1]) if verdict is not None else None
            encoded.append(fixed + b"," + dumps(_extra(detail, found))[1:])
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


def _generation(generation):
    with _rows_lock:
        # Rows of an expired hour or of a URL no longer used are not asked for again.
        for old in [g for g in _rows if g[1] != generation[1]]:
            del _rows[old]
        return _rows.setdefault(generation, {})


def _forget_oldest(rows):
    with _rows_lock:
        for key in list(itertools.islice(rows, ROWS_KEPT // 10)):
            rows.pop(key, None)


def verdict_json(verdict):
    return {"verdict": verdict.verdict, "label": LABELS[verdict.verdict], "reason": verdict.reason}


def tracks_json(tracks):
    return [{"id": t.id, "label": t.label, "language": t.language, "url": t.url} for t in tracks]


def device_json(device):
    return {
        "id": device.id,
        "name": device.name,
        "model": device.model,
        "type": device.type,
        "online": device.online,
        "host": device.host,
        "last_seen": device.last_seen,
    }


def status_json(status):
    media = status.media
    return {
        "device": asdict(status.device),
        "media": None
        if media is None
        else {
            **asdict(media),
            "tracks": [{"id": t.id, "name": t.name, "language": t.language} for t in media.tracks],
            "active_tracks": list(media.active_tracks),
        },
    }


def cast_json(device, plan, status):
    return {
        "device": device_json(device),
        "media_url": plan.url,
        "delivery": plan.delivery,
        "status": status_json(status),
        "verdict": verdict_json(plan.verdict),
    }
