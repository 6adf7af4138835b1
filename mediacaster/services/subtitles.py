"""Subtitles as WebVTT: sidecar files next to a video and text streams inside it.

Sidecars are ``movie.srt``, ``movie.en.srt``, ``movie.fr.vtt``, ``.ass`` and
``.ssa``; their character encoding is detected (BOM, UTF-8, else CP1252 or
Latin-1) and ffmpeg converts them, or an embedded stream, to WebVTT, which is
what browsers and the Cast receiver read. Conversions are cached on disk by
the file's version and killed when they overrun.
"""

import codecs
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SIDECAR_FORMATS = {".srt": "srt", ".vtt": "webvtt", ".ass": "ass", ".ssa": "ass"}
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


class SubtitleError(Exception):
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
    def __init__(self, cache_dir, timeout=20.0, ffmpeg="ffmpeg"):
        self.cache_dir = Path(cache_dir)
        self.timeout = timeout
        self.ffmpeg = shutil.which(ffmpeg) if ffmpeg else None

    def webvtt(self, video_path, video_st, track):
        """The track as WebVTT bytes (cached), or :class:`SubtitleError`."""
        if self.ffmpeg is None:
            raise SubtitleError("ffmpeg is not installed: subtitles cannot be converted")
        kind, _, ref = track.key.partition(":")
        source = os.path.join(os.path.dirname(video_path), ref) if kind == "file" else video_path
        try:
            st = os.stat(source) if kind == "file" else video_st
        except OSError:
            raise SubtitleError("the subtitle file is gone") from None
        version = f"{source}\0{st.st_size}\0{st.st_mtime_ns}\0{track.key}"
        cached = self.cache_dir / f"{hashlib.sha1(version.encode()).hexdigest()}.vtt"
        if cached.exists():
            return cached.read_bytes()
        if kind == "file":
            with open(source, "rb") as file:
                text = decode_text(file.read())
            fmt = SIDECAR_FORMATS[os.path.splitext(ref)[1].lower()]
            vtt = self._convert(["-f", fmt, "-i", "pipe:0"], text.encode("utf-8"))
        else:
            vtt = self._convert(["-i", source, "-map", f"0:{int(ref)}"], None)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(vtt)
        partial.replace(cached)
        return vtt

    def _convert(self, inputs, stdin):
        command = [
            self.ffmpeg,
            "-nostdin" if stdin is None else "-hide_banner",
            "-loglevel",
            "error",
            *inputs,
            "-f",
            "webvtt",
            "pipe:1",
        ]
        try:
            done = subprocess.run(
                command, input=stdin, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise SubtitleError(f"converting took longer than {self.timeout:g} s") from None
        if done.returncode != 0 or not done.stdout.startswith(b"WEBVTT"):
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise SubtitleError(f"not readable as subtitles ({lines[-1] if lines else 'ffmpeg failed'})")
        if b"-->" not in done.stdout:
            raise SubtitleError("not readable as subtitles (no timed text found in it)")
        return done.stdout
