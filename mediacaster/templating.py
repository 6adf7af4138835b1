"""Renderers: Jinja2 (where templates live and the filters they use) and JSON."""

from datetime import datetime, timezone

from pyramid.renderers import JSON

from mediacaster import bytenames
from mediacaster.services.library import fold as _fold

# pyramid_jinja2 reads these from the settings when it creates its environment.
JINJA2_SETTINGS = {
    "jinja2.directories": "mediacaster:templates",
    "jinja2.undefined": "strict",
    # Names whose bytes are not UTF-8 are printed readable (mediacaster.bytenames).
    "jinja2.finalize": "mediacaster.bytenames.finalize",
    "jinja2.filters": "\n".join(
        f"{name} = mediacaster.templating:{name}"
        for name in ("filesize", "isotime", "localtime", "duration", "fold")
    ),
}


def includeme(config):
    config.include("pyramid_jinja2")
    # orjson: a 10,000-file listing is about 8 MB of JSON, which the standard
    # library's encoder takes several times longer to write.
    config.add_renderer("json", JSON(serializer=lambda value, default=None: bytenames.dumps(value)))


def fold(text):
    """Names as the filter compares them: NFC, case-folded, as the server's own filter does."""
    return _fold(text)


def filesize(size):
    """Human file size in powers of 1024, as file managers show it."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def isotime(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def localtime(timestamp):
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def duration(seconds):
    """1:02:03 or 4:05, as players show it."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
