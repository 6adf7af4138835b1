"""Content types and media kinds by file extension.

Python's ``mimetypes`` answers from the host's ``/etc/mime.types`` when there is
one, so it differs from machine to machine, and it is wrong for media where it
matters: on Debian ``.ts`` is Qt Linguist's ``text/vnd.trolltech.linguist``
(not MPEG-TS), ``.wav`` is ``audio/x-wav`` and ``.srt`` ``text/plain``; with
only Python's built-in table (slim containers, Windows) ``.mkv``, ``.m4v``,
``.m4a``, ``.flac``, ``.ogg``, ``.oga``, ``.ts`` and ``.mpd`` are unknown. What a
Chromecast or a browser accepts depends on exactly these strings, so media
types come from this fixed table first and ``mimetypes`` only for the rest.
"""

import mimetypes

# extension -> (content type, kind)
MEDIA_TYPES = {
    # video
    ".mp4": ("video/mp4", "video"),
    ".m4v": ("video/mp4", "video"),
    ".mkv": ("video/x-matroska", "video"),
    ".webm": ("video/webm", "video"),
    ".mov": ("video/quicktime", "video"),
    ".avi": ("video/x-msvideo", "video"),
    ".ts": ("video/mp2t", "video"),
    ".m2ts": ("video/mp2t", "video"),
    ".mpg": ("video/mpeg", "video"),
    ".mpeg": ("video/mpeg", "video"),
    ".ogv": ("video/ogg", "video"),
    # converted for devices and browsers (mediacaster.services.conversion)
    ".wmv": ("video/x-ms-wmv", "video"),
    ".asf": ("video/x-ms-asf", "video"),
    ".flv": ("video/x-flv", "video"),
    ".vob": ("video/mpeg", "video"),
    ".mts": ("video/mp2t", "video"),
    ".3gp": ("video/3gpp", "video"),
    ".divx": ("video/x-msvideo", "video"),
    ".m3u8": ("application/vnd.apple.mpegurl", "video"),
    ".mpd": ("application/dash+xml", "video"),
    # audio
    ".mp3": ("audio/mpeg", "audio"),
    ".m4a": ("audio/mp4", "audio"),
    ".m4b": ("audio/mp4", "audio"),
    ".aac": ("audio/aac", "audio"),
    ".flac": ("audio/flac", "audio"),
    ".ogg": ("audio/ogg", "audio"),
    ".oga": ("audio/ogg", "audio"),
    ".opus": ("audio/ogg", "audio"),
    ".wav": ("audio/wav", "audio"),
    ".weba": ("audio/webm", "audio"),
    ".wma": ("audio/x-ms-wma", "audio"),
    ".mka": ("audio/x-matroska", "audio"),
    ".aif": ("audio/aiff", "audio"),
    ".aiff": ("audio/aiff", "audio"),
    ".ape": ("audio/x-ape", "audio"),
    ".wv": ("audio/x-wavpack", "audio"),
    ".ac3": ("audio/ac3", "audio"),
    # images
    ".jpg": ("image/jpeg", "image"),
    ".jpeg": ("image/jpeg", "image"),
    ".png": ("image/png", "image"),
    ".gif": ("image/gif", "image"),
    ".webp": ("image/webp", "image"),
    ".bmp": ("image/bmp", "image"),
    ".avif": ("image/avif", "image"),
    # subtitles
    ".vtt": ("text/vtt; charset=utf-8", "other"),
    ".srt": ("application/x-subrip", "other"),
}

# What plays, is shown or is cast; everything else is "other" (and folders "folder").
MEDIA_KINDS = ("video", "audio", "image")
KINDS = ("folder", *MEDIA_KINDS, "other")


# Types a browser would run rather than show: served as downloads, never inline.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/pdf",
    }
)


def is_active(content_type):
    return (content_type or "").split(";")[0].strip().lower() in ACTIVE_TYPES


def classify(name):
    """Return ``(content_type, kind)`` for a file name."""
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    if ext in MEDIA_TYPES:
        return MEDIA_TYPES[ext]
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream", "other"
