"""Plans: how one file reaches one target.

Given an entry and a target (the browser, or a cast device), :meth:`Playback.plan`
returns one :class:`Plan`: the verdict with its reason, how the file is
delivered, the URLs the target fetches, its subtitle tracks, its picture and
its metadata. The file page and the cast view both ask for a plan; views only
translate HTTP into these calls and the plan back into HTML or JSON. URLs are
built by an object the caller passes in (see ``mediacaster.urls.EntryUrls``),
so this layer knows what to fetch but not how the web names it.
"""

import logging
import os
import threading
from contextlib import suppress
from dataclasses import dataclass

from mediacaster.bytenames import shown
from mediacaster.errors import NotFound, Unprocessable
from mediacaster.playback import browsers
from mediacaster.playback.decisions import CONVERT_ALL, CONVERT_AUDIO, DIRECT, REMUX, decide, pick_sound
from mediacaster.playback.verdicts import (
    CONVERTED,
    GEN1,
    PLAYS,
    UNKNOWN,
    WONT_PLAY,
    Profile,
    Verdict,
    describe,
    judge,
    misnamed_as,
    profile_for,
    unjudged,
)
from mediacaster.services.cast.model import CastMedia, Track
from mediacaster.services.conversion import Stream, Variant
from mediacaster.services.conversion.errors import ConversionUnavailable
from mediacaster.services.conversion.streams import image_subtitles
from mediacaster.services.library import Entry, split_path
from mediacaster.services.pictures import FOLDER_COVERS
from mediacaster.services.subtitles import find_tracks

log = logging.getLogger(__name__)

# What a converted stream is announced as (the Cast docs' type for HLS).
HLS_TYPE = "application/x-mpegurl"
# The verdict's first words, by delivery.
PHRASES = {
    REMUX: "plays after repackaging into HLS segments",
    CONVERT_AUDIO: "plays after converting the sound",
    CONVERT_ALL: "plays after converting",
}


class WillNotPlay(Unprocessable):
    """The file will not play on the device, and the request did not insist."""

    code = "will_not_play"


@dataclass(frozen=True)
class Target:
    """Who plays the file: this browser, or a cast device of a model and a type."""

    name: str
    model: str | None = None
    device_type: str | None = None  # cast, audio or group; None for the browser
    profile: Profile | None = None  # a browser's, from what it said it decodes

    @classmethod
    def browser(cls, can=None):
        """The browser; ``can``: the names of the checks it passed (``playback.browsers``),
        None when it has not said (it tries the file as it is)."""
        return cls(browsers.NAME, profile=None if can is None else browsers.profile(can))

    @classmethod
    def device(cls, device):
        return cls(device.name, device.model, device.type)

    @property
    def is_device(self):
        return self.device_type is not None


@dataclass(frozen=True)
class SubtitleTrack:
    id: int
    label: str
    language: str | None
    url: str


@dataclass(frozen=True)
class Plan:
    entry: Entry
    target: Target
    verdict: Verdict
    delivery: str  # playback.decisions.DELIVERIES
    url: str  # what the target fetches: the file, or the playlist of a converted stream
    content_type: str  # what the target is told it is
    picture_url: str | None
    tracks: tuple[SubtitleTrack, ...]
    title: str
    artist: str | None
    album: str | None
    probe: dict | None
    probe_state: str | None  # done, pending or unavailable; None for what is not media
    stream: Stream | None = None  # the conversion's, when the file is converted
    audio_index: int | None = None  # the sound track played (its stream index)
    item: dict | None = None  # a device's: what the catalogue knows of it (CastMedia.item)

    @property
    def burn_index(self):
        """The image subtitles drawn into the picture, if any."""
        return self.stream.variant.burn_index if self.stream is not None else None

    @property
    def converted(self):
        return self.delivery != DIRECT

    @property
    def will_not_play(self):
        """The target cannot play this media file (it can still be tried)."""
        return self.entry.is_media and self.verdict.verdict == WONT_PLAY

    def cast_media(self, start=0.0):
        """What the cast service loads on the device."""
        return CastMedia(
            url=self.url,
            content_type=self.content_type,
            kind=self.entry.kind,
            title=self.title,
            thumb=self.picture_url,
            artist=self.artist,
            album=self.album,
            start=start,
            tracks=tuple(Track(t.id, t.url, t.language, t.label) for t in self.tracks),
            duration=(self.probe or {}).get("duration"),
            segments="fmp4" if self.converted else None,
            item=self.item,
        )


def _profile(target):
    """What ``target`` plays: a browser's own profile, or its model's (an unknown
    model gets what every Cast device with a screen plays)."""
    if not target.is_device:
        return target.profile
    return profile_for(target.model, target.device_type) or GEN1


class Playback:
    def __init__(self, library, probe, subtitles, pictures, conversion=None, catalogue=None):
        self.library = library
        self.catalogue = catalogue
        self.probe = probe
        self.subtitles = subtitles
        self.pictures = pictures
        self.conversion = conversion

    def plan(self, entry, target, urls, wait=True, direct=False, audio_index=None, burn_index=None):
        """The plan for playing ``entry`` on ``target``.

        ``wait``: read the file now if it has not been read (one file: fine to
        wait for), else leave it to the background. ``direct``: send the file as it
        is even if the target needs it converted. ``audio_index``: the sound track.
        ``burn_index``: image subtitles to draw into the picture (a conversion).
        """
        if wait:
            probe = self.read(entry)
            if not entry.is_media:
                state = None
            elif not self.probe.available:
                state = "unavailable"
            else:  # None: the read was stopped (the app is stopping), nothing known yet
                state = "done" if probe is not None else "pending"
        else:
            state, probe = self.details([entry]).get(entry.path, (None, None))
        tracks = (probe or {}).get("audio") or []
        if audio_index is not None and audio_index not in {t.get("index") for t in tracks}:
            raise NotFound(f"{shown(entry.name)} has no sound track {audio_index}")
        if burn_index is not None and burn_index not in image_subtitles(probe):
            raise NotFound(f"{shown(entry.name)} has no subtitles made of pictures at {burn_index}")
        decision = None if direct else self.decision(entry, probe, target, audio_index, burn_index)
        if burn_index is not None and (decision is None or decision.burn_index != burn_index):
            why = "it is sent as it is" if direct else "converting it needs ffmpeg"
            raise Unprocessable(f"{shown(entry.name)} cannot have subtitles drawn in: {why}")
        verdict = self.verdict(entry, probe, target, decision, converting=not direct)
        tags = (probe or {}).get("tags") or {}
        stream = None
        if decision is not None and decision.converts:
            variant = Variant.of(decision)
            stream = self.conversion.stream(*self.library.file_key(entry), probe, variant)
            url, content_type = urls.playlist(entry, variant.token), HLS_TYPE
        else:
            # A .mp4 that is really MPEG-TS is announced as what it is.
            url = urls.stream(entry)
            content_type = misnamed_as(probe, entry.content_type) or entry.content_type
        return Plan(
            entry=entry,
            target=target,
            verdict=verdict,
            delivery=decision.delivery if stream is not None else DIRECT,
            url=url,
            content_type=content_type,
            picture_url=urls.picture(entry) if self.has_picture(entry, probe) else None,
            tracks=tuple(
                SubtitleTrack(t.id, t.label, t.language, urls.subtitles(entry, t.id))
                for t in self.subtitle_tracks(entry, probe)
            ),
            title=tags.get("title") or shown(os.path.splitext(entry.name)[0]),
            artist=tags.get("artist"),
            album=tags.get("album"),
            probe=probe,
            probe_state=state,
            stream=stream,
            audio_index=(pick_sound(tracks, stream.variant.audio_index if stream else None) or {}).get(
                "index"
            ),
            item=self.item(entry, urls) if target.is_device else None,
        )

    def item(self, entry, urls):
        """What the catalogue knows of ``entry`` with the URL of its art as ``"image"``;
        None without a catalogue, or for a file it does not hold as a film, an episode or
        a song."""
        if self.catalogue is None or not entry.is_media:
            return None
        item = self.catalogue.item(entry.root, entry.path)
        if item is None:
            return None
        image = None
        if item["art"] is not None:
            with suppress(NotFound):  # gone since the scan read it: the file's own picture
                image = urls.picture(self.library.entry(entry.root, split_path(item["art"])))
        return {**item, "image": image}

    def warm(self, plan, position=0.0, reader=None):
        """Start making a converted ``plan``'s segment at ``position`` in the background:
        a page that will play it has it on its way before its player asks."""
        if plan.stream is None:
            return
        threading.Thread(
            target=self._warm, args=(plan.stream, position, reader), name="warm", daemon=True
        ).start()

    def _warm(self, stream, position, reader):
        try:
            self.conversion.prepare(stream, position, reader)
        except Exception as error:  # the player's own request meets it again and says it
            log.info("%s was not started ahead of its player: %s", stream.source, error)

    def decision(self, entry, probe, target, audio_index=None, burn_index=None):
        """How ``entry`` is delivered to ``target`` (``playback.decisions.Decision``),
        or None: as it is, or not at all (nothing here can convert it for the target)."""
        if not (self.conversion is not None and self.conversion.available):
            return None
        profile = _profile(target)
        if profile is None or not profile.segments:
            return None
        if not (probe or {}).get("duration"):
            return None  # segments need the length: the file as it is, or not at all
        return self.needs(entry, probe, profile, audio_index, burn_index)

    @staticmethod
    def needs(entry, probe, profile, audio_index=None, burn_index=None):
        """What ``profile`` needs done to ``entry``, whether or not it can be done here."""
        if entry.kind not in ("video", "audio") or not (probe or {}).get("ok"):
            return None
        if not (probe.get("video") or probe.get("audio")) or probe.get("container") == "image":
            return None
        if probe.get("video") and not profile.display:
            return None  # a speaker shows no picture: the verdict says so
        return decide(probe, profile, audio_index, burn_index)

    def verdict(self, entry, probe, target, decision=None, converting=True):
        """Whether ``entry`` plays on ``target``; ``converting`` False: as it is."""
        if decision is None and converting:
            decision = self.decision(entry, probe, target)
        if decision is not None and decision.converts:
            return Verdict(CONVERTED, f"{PHRASES[decision.delivery]}: {decision.why}", decision.delivery)
        if not target.is_device:
            return self._browser_verdict(entry, probe, target.profile)
        return judge(probe, entry.kind, target.model, target.device_type, entry.content_type)

    def _browser_verdict(self, entry, probe, profile):
        if profile is None:  # the browser has not said what it decodes
            return Verdict(UNKNOWN, "this browser tries the file as it is")
        if entry.kind == "image":
            return Verdict(PLAYS, "a picture")
        early = unjudged(probe, entry.kind)
        if early is not None:
            return early
        needed = self.needs(entry, probe, profile)
        if needed is None:
            return Verdict(WONT_PLAY, "neither picture nor sound in it")
        if not needed.converts:
            return Verdict(PLAYS, describe(probe))
        if self.conversion is None or not self.conversion.available:
            return Verdict(WONT_PLAY, f"{needed.why}, and converting it needs ffmpeg")
        if not profile.segments:
            return Verdict(WONT_PLAY, f"{needed.why}, and {profile.name} plays no converted stream")
        return Verdict(WONT_PLAY, needed.why)  # as it is, when asked so

    # -- what is known of the files ------------------------------------------

    def listing(self, entries, target=None):
        """``(details, verdicts)`` of a page of a folder: what :meth:`details` gives,
        and ``{entry.path: Verdict}`` for its media on ``target``, if any."""
        details = self.details(entries)
        verdicts = {}
        if target is not None:
            for entry in entries:
                if entry.path in details:
                    verdicts[entry.path] = self.verdict(entry, details[entry.path][1], target)
        return details, verdicts

    @staticmethod
    def pending(details):
        """How many files of :meth:`details` are still being read."""
        return sum(state == "pending" for state, _ in details.values())

    def details(self, entries):
        """``{entry.path: (state, probe)}`` for the media among ``entries``: cached
        probes at once ("done"), the others queued in the background ("pending"),
        or "unavailable" without ffprobe. Never waits for ffprobe."""
        media = [e for e in entries if e.is_media]
        if not self.probe.available:
            return {e.path: ("unavailable", None) for e in media}
        keys = self.library.file_keys(media)
        cached = self.probe.cached_many(keys)
        details = {}
        for entry, key in zip(media, keys, strict=True):
            probe = cached.get(key)
            if probe is None:
                self.probe.schedule(*key)
                details[entry.path] = ("pending", None)
            else:
                details[entry.path] = ("done", probe)
        return details

    def read(self, entry):
        """The entry's probe, read now if not cached; None for what is not media."""
        if not entry.is_media:
            return None
        return self.probe.probe(*self.library.file_key(entry))

    def subtitle_tracks(self, entry, probe):
        if entry.kind != "video":
            return []
        return find_tracks(self.library.siblings(entry), entry.name, probe)

    def has_picture(self, entry, probe):
        if entry.kind in ("video", "image") or (probe or {}).get("picture"):
            return True
        names = {name.lower() for name in self.library.siblings(entry)} if entry.kind == "audio" else ()
        return any(cover in names for cover in FOLDER_COVERS)

    # -- the files a plan points to --------------------------------------------

    def converted(self, entry, token):
        """The conversion Stream of ``entry`` as the variant ``token`` a URL names."""
        variant = Variant.parse(token)
        if self.conversion is None or not self.conversion.available:
            raise ConversionUnavailable()
        probe = self.read(entry)
        if probe is None or not probe.get("ok"):
            reason = (probe or {}).get("error") or "the file has not been read"
            raise Unprocessable(f"{shown(entry.name)} cannot be converted: {reason}")
        return self.conversion.stream(*self.library.file_key(entry), probe, variant)

    def webvtt(self, entry, track_id):
        """Subtitle track ``track_id`` (as text from a URL) of the entry, as WebVTT bytes."""
        tracks = {str(t.id): t for t in self.subtitle_tracks(entry, self.read(entry))}
        track = tracks.get(track_id)
        if track is None:
            raise NotFound(f"{entry.name} has no subtitle track {track_id!r}")
        path = self.library.file_path(entry)
        return self.subtitles.webvtt(path, os.stat(path), track)

    def picture(self, entry, screen=None):
        """Path of the entry's picture, a JPEG made once and cached (``screen``: see
        :data:`mediacaster.services.pictures.SCREENS`)."""
        return self.pictures.picture(
            self.library.file_path(entry), entry.kind, self.read(entry), self.library.siblings(entry), screen
        )
