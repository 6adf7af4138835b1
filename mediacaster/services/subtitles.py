"""Subtitles as WebVTT: sidecar files next to a video and text streams inside it.

Sidecars are ``movie.srt``, ``movie.en.srt``, ``movie.fr.vtt``, ``.ass`` and
``.ssa``; their character encoding is detected (BOM, UTF-8, else CP1252 or
Latin-1) and ffmpeg converts them, or an embedded stream, to WebVTT, which is
what browsers and the Cast receiver read. Conversions are cached on disk by
the file's version and killed when they overrun.
"""

import codecs
import os
import re
from dataclasses import dataclass

from mediacaster.errors import NotFound, Unprocessable
from mediacaster.services.ffmpeg import ToolFailed, ToolTimeout
from mediacaster.services.library import open_regular

SIDECAR_FORMATS = {".srt": "srt", ".vtt": "webvtt", ".ass": "ass", ".ssa": "ass"}
# A film's subtitles are well under a megabyte; a larger "subtitle" is refused
# rather than read into memory.
MAX_SIDECAR = 16 * 2**20
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
LANGUAGE_NAMES = {
    "en": "English",
    "eng": "English",
    "fr": "Français",
    "fre": "Français",
    "fra": "Français",
    "de": "Deutsch",
    "ger": "Deutsch",
    "deu": "Deutsch",
    "es": "Español",
    "spa": "Español",
    "it": "Italiano",
    "ita": "Italiano",
    "nl": "Nederlands",
    "nld": "Nederlands",
    "pt": "Português",
    "por": "Português",
    "ja": "日本語",
    "jpn": "日本語",
}


class SubtitleError(Unprocessable):
    """A track that cannot be turned into WebVTT; the message says why."""


@dataclass(frozen=True)
class Track:
    id: int  # 1, 2, ... in a stable order: Cast wants whole numbers
    key: str  # "file:<name>" or "stream:<index>"
    language: str | None
    label: str


def language_label(language, fallback):
    return LANGUAGE_NAMES.get((language or "").lower(), language or fallback)


def find_tracks(folder_names, video_name, probe):
    """The subtitle tracks of a video: sidecars among ``folder_names``, then text streams."""
    stem = os.path.splitext(video_name)[0]
    sidecars = []
    for name in sorted(folder_names):
        base, ext = os.path.splitext(name)
        if ext.lower() not in SIDECAR_FORMATS or name.startswith("."):
            continue
        if base == stem:
            language = None
        elif base.startswith(stem + ".") and LANGUAGE.match(base[len(stem) + 1 :]):
            language = base[len(stem) + 1 :]
        else:
            continue
        sidecars.append((f"file:{name}", language, language_label(language, name)))
    streams = [
        (
            f"stream:{s['index']}",
            s.get("language"),
            s.get("title") or language_label(s.get("language"), f"Track {n}"),
        )
        for n, s in enumerate((probe or {}).get("subtitles") or [], start=1)
        if s.get("text")
    ]
    return [Track(n, key, lang, label) for n, (key, lang, label) in enumerate(sidecars + streams, start=1)]


def decode_text(data):
    """Text of a subtitle file in whatever encoding it came in."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a Latin-1 character


class SubtitleService:
    def __init__(self, cache, ffmpeg, timeout=20.0):
        self.cache = cache  # a DiskCache
        self.ffmpeg = ffmpeg  # a Tool
        self.timeout = timeout

    def webvtt(self, video_path, video_st, track):
        """The track as WebVTT bytes (cached), or :class:`SubtitleError`."""
        if not self.ffmpeg.available:
            raise SubtitleError("ffmpeg is not installed: subtitles cannot be converted")
        kind, _, ref = track.key.partition(":")
        source = os.path.join(os.path.dirname(video_path), ref) if kind == "file" else video_path
        try:
            st = os.stat(source) if kind == "file" else video_st
        except OSError:
            raise SubtitleError("the subtitle file is gone") from None
        version = f"{source}\0{st.st_size}\0{st.st_mtime_ns}\0{track.key}"
        cached = self.cache.get("subtitles", version, ".vtt")
        if cached is not None:
            return cached.read_bytes()
        if kind == "file":
            try:
                with open_regular(source) as file:
                    data = file.read(MAX_SIDECAR + 1)
            except NotFound:
                raise SubtitleError("the subtitle file cannot be read") from None
            if len(data) > MAX_SIDECAR:
                raise SubtitleError(f"the subtitle file is larger than {MAX_SIDECAR // 2**20} MB")
            text = decode_text(data)
            fmt = SIDECAR_FORMATS[os.path.splitext(ref)[1].lower()]
            vtt = self._convert(["-f", fmt, "-i", "pipe:0"], text.encode("utf-8"))
        else:
            vtt = self._convert(["-i", source, "-map", f"0:{int(ref)}"], None)
        self.cache.put_bytes("subtitles", version, ".vtt", vtt)
        return vtt

    def _convert(self, inputs, stdin):
        args = ["-nostdin" if stdin is None else "-hide_banner", "-loglevel", "error"]
        args += [*inputs, "-f", "webvtt", "pipe:1"]
        try:
            vtt = self.ffmpeg.run(args, self.timeout, input=stdin)
        except ToolTimeout:
            raise SubtitleError(f"converting took longer than {self.timeout:g} s") from None
        except ToolFailed as failure:
            raise SubtitleError(f"not readable as subtitles ({failure.reason})") from None
        if not vtt.startswith(b"WEBVTT"):
            raise SubtitleError("not readable as subtitles (ffmpeg made no WebVTT of it)")
        if b"-->" not in vtt:
            raise SubtitleError("not readable as subtitles (no timed text found in it)")
        return vtt
