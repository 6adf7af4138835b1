"""The JSON shape of what the API answers: entries, folders, devices, status, casts.

Views hand plain objects (entries, plans, devices, statuses) to these
functions; ``mediacaster.apispec`` describes what they return, and the test
suite checks every API response against that description.
"""

from dataclasses import asdict
from datetime import datetime, timezone

from mediacaster.playback.verdicts import LABELS


def entry_json(entry, urls, details=None, verdict=None):
    """An entry for scripts; ``details`` is its ``(probe state, probe)`` and
    ``verdict`` whether it plays on the device asked about."""
    data = {
        "name": entry.name,
        "root": entry.root,
        "path": entry.path,
        "kind": entry.kind,
        "size": entry.size,
        "mtime": datetime.fromtimestamp(entry.mtime, timezone.utc).isoformat(),
        "content_type": entry.content_type,
        "url": urls.page(entry),
        "api_url": urls.api(entry),
    }
    if not entry.is_dir:
        data["stream_url"] = urls.stream(entry)
        data["download_url"] = urls.download(entry)
    if entry.is_media:
        data["picture_url"] = urls.picture(entry)
    if details is not None:
        data["probe_state"], data["probe"] = details
    if verdict is not None:
        data["verdict"] = verdict_json(verdict)
    return data


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
