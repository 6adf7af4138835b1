"""A household's library with the names real shares have, for the catalogue's tests.

Videos are a few bytes (only their names are read) except one MP4 with embedded cover
art; songs are real MP3 and FLAC files made by ffmpeg once and tagged by mutagen; photos
are JPEGs made by Pillow, with and without EXIF. :data:`EXPECTED` is what the catalogue
should read from it.
"""

import io
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from mutagen.easyid3 import EasyID3
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.mp4 import MP4, MP4Cover
from PIL import Image

from tests.common.mediafiles import SOUND, ffmpeg

# Films: (path below the video root, title, year, edition, poster, poster_embedded, fanart)
FILMS = [
    (
        "Films/Alien (1979)/Alien (1979) Director's Cut.mkv",
        "Alien",
        1979,
        "Director's Cut",
        "Films/Alien (1979)/poster.jpg",
        False,
        "Films/Alien (1979)/fanart.jpg",
    ),
    (
        "Films/Heat.1995.REMASTERED.2160p.UHD.BluRay.x265-TERMiNAL.mkv",
        "Heat",
        1995,
        "Remastered",
        "Films/Heat.1995.REMASTERED.2160p.UHD.BluRay.x265-TERMiNAL-poster.jpg",
        False,
        None,
    ),
    # The .nfo beside it says more than the name.
    ("Films/The Matrix/matrix_final.mkv", "The Matrix", 1999, "Theatrical", None, False, None),
    # The movie.nfo of the film's own folder names its edition.
    (
        "Films/Blade Runner (1982)/Blade.Runner.1982.Final.Cut.1080p.BluRay.x264.mkv",
        "Blade Runner",
        1982,
        "The Final Cut",
        None,
        False,
        None,
    ),
    (
        "Films/Big Buck Bunny (2008).mp4",
        "Big Buck Bunny",
        2008,
        None,
        "Films/Big Buck Bunny (2008).mp4",
        True,
        None,
    ),
]

# Episodes: path -> (show, season, number, last number, absolute number, aired, title)
EPISODES = {
    "TV/The Expanse (2015)/Season 01/The.Expanse.S01E01.1080p.BluRay.x264-DEMAND.mkv": (
        "The Expanse",
        1,
        1,
        1,
        None,
        None,
        None,
    ),
    "TV/The Expanse (2015)/Season 01/The.Expanse.S01E02.1080p.BluRay.x264-DEMAND.mkv": (
        "The Expanse",
        1,
        2,
        2,
        None,
        None,
        None,
    ),
    "TV/The Expanse (2015)/Season 02/The.Expanse.S02E01.1080p.BluRay.x264-DEMAND.mkv": (
        "The Expanse",
        2,
        1,
        1,
        None,
        None,
        None,
    ),
    "TV/The Expanse (2015)/Season 02/The.Expanse.S02E05.1080p.BluRay.x264-DEMAND.mkv": (
        "The Expanse",
        2,
        5,
        5,
        None,
        None,
        None,
    ),
    "TV/Show (2019)/Season 01/Show - S01E01 - Pilot.mkv": ("Show", 1, 1, 1, None, None, "Pilot"),
    "TV/Show (2019)/Season 01/Show - S01E02E03 - Double Trouble.mkv": (
        "Show",
        1,
        2,
        3,
        None,
        None,
        "Double Trouble",
    ),
    "TV/Show (2019)/Specials/Show - S00E01 - Behind the Scenes.mkv": (
        "Show",
        0,
        1,
        1,
        None,
        None,
        "Behind the Scenes",
    ),
    "TV/Fargo.S01E01.720p.WEB.h264-GRP.mkv": ("Fargo", 1, 1, 1, None, None, None),
    "TV/The Daily Show/The.Daily.Show.2024.03.14.Guest.Name.720p.WEB.h264-GRP.mkv": (
        "The Daily Show",
        2024,
        None,
        None,
        None,
        "2024-03-14",
        "Guest Name",
    ),
    "TV/Anime/Sousou no Frieren/[SubsPlease] Sousou no Frieren - 12 (1080p) [ABCD1234].mkv": (
        "Sousou no Frieren",
        1,
        12,
        12,
        12,
        None,
        None,
    ),
    # tvshow.nfo names the show; the episode's .nfo names the episode.
    "TV/DW/Season 1/rose.mkv": ("Doctor Who", 1, 1, 1, None, "2005-03-26", "Rose"),
}

# Shows: title -> (year, poster, fanart, {season: poster})
SHOWS = {
    "The Expanse": (
        2015,
        "TV/The Expanse (2015)/poster.jpg",
        "TV/The Expanse (2015)/fanart.jpg",
        {1: "TV/The Expanse (2015)/Season 01/folder.jpg", 2: "TV/The Expanse (2015)/season02-poster.jpg"},
    ),
    "Show": (2019, None, None, {0: None, 1: None}),
    "Fargo": (None, None, None, {1: None}),
    "The Daily Show": (None, None, None, {2024: None}),
    "Sousou no Frieren": (None, None, None, {1: None}),
    "Doctor Who": (2005, "TV/DW/folder.jpg", None, {1: None}),
}

# Tracks: path below the music root -> (title, artist, album artist, album, year, disc, number)
TRACKS = {
    # Untagged: all from the folders and the file name.
    "Daft Punk/Discovery (2001)/01 One More Time.mp3": (
        "One More Time",
        "Daft Punk",
        "Daft Punk",
        "Discovery",
        2001,
        None,
        1,
    ),
    "Daft Punk/Discovery (2001)/02 Aerodynamic.mp3": (
        "Aerodynamic",
        "Daft Punk",
        "Daft Punk",
        "Discovery",
        2001,
        None,
        2,
    ),
    # Tagged, with a cover inside: the tags win over the misleading names.
    "Misc/track1.mp3": ("Paranoid Android", "Radiohead", "Radiohead", "OK Computer", 1997, 1, 2),
    # A tagged compilation.
    "Compilations/Now 1/01.flac": ("Song A", "Artist A", "Various Artists", "Now 1", 2020, 1, 1),
    "Compilations/Now 1/02.flac": ("Song B", "Artist B", "Various Artists", "Now 1", 2020, 1, 2),
    # Two discs, tagged.
    "Pink Floyd/The Wall/CD1/01 In the Flesh.flac": (
        "In the Flesh?",
        "Pink Floyd",
        "Pink Floyd",
        "The Wall",
        1979,
        1,
        1,
    ),
    "Pink Floyd/The Wall/CD2/01 Hey You.flac": (
        "Hey You",
        "Pink Floyd",
        "Pink Floyd",
        "The Wall",
        1979,
        2,
        1,
    ),
}

# Albums: (album artist, title) -> (cover, cover_embedded, compilation)
ALBUMS = {
    ("Daft Punk", "Discovery"): ("Daft Punk/Discovery (2001)/folder.jpg", False, False),
    ("Radiohead", "OK Computer"): ("Misc/track1.mp3", True, False),
    ("Various Artists", "Now 1"): (None, False, True),
    ("Pink Floyd", "The Wall"): ("Pink Floyd/The Wall/cover.jpg", False, False),
}

# Photos: path below the photos root -> (taken at, from EXIF, width, height)
PHOTO_MTIME = datetime(2021, 2, 3, 4, 5, 6)
PHOTOS = {
    "2023/IMG_0001.jpg": (datetime(2023, 7, 14, 10, 0, 0), True, 64, 48),
    "2023/IMG_0002.jpg": (datetime(2023, 7, 1, 8, 30, 0), True, 32, 32),
    "Scans/scan.jpg": (PHOTO_MTIME, False, 40, 30),
}
NOT_PHOTOS = ["Scans/folder.jpg"]  # art, not a photo


def jpeg(width=8, height=8, exif_time=None, colour=(200, 40, 40)):
    image = Image.new("RGB", (width, height), colour)
    out = io.BytesIO()
    if exif_time is None:
        image.save(out, "JPEG")
    else:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = exif_time.strftime("%Y:%m:%d %H:%M:%S")
        image.save(out, "JPEG", exif=exif)
    return out.getvalue()


NFO = {
    "Films/The Matrix/matrix_final.nfo": "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<movie><title>The Matrix</title><year>1999</year><edition>Theatrical</edition></movie>\nhttps://www.themoviedb.org/movie/603\n",
    "Films/Blade Runner (1982)/movie.nfo": "<movie><title>Blade Runner</title><year>1982</year>"
    "<edition>The Final Cut</edition></movie>",
    "TV/DW/tvshow.nfo": "<tvshow><title>Doctor Who</title><premiered>2005-03-26</premiered></tvshow>",
    "TV/DW/Season 1/rose.nfo": "<episodedetails><title>Rose</title><season>1</season><episode>1</episode>"
    "<aired>2005-03-26</aired></episodedetails>",
}


def _sources(folder):
    """One real MP3, FLAC and MP4 to copy from, made once."""
    folder.mkdir(parents=True, exist_ok=True)
    mp3, flac, mp4 = folder / "source.mp3", folder / "source.flac", folder / "source.mp4"
    if not mp3.exists():
        short = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3"]
        ffmpeg(*short, "-c:a", "libmp3lame", "-b:a", "32k", mp3)
        ffmpeg(*short, "-c:a", "flac", flac)
        video = ["-f", "lavfi", "-i", "testsrc2=size=64x36:rate=5:duration=0.4"]
        ffmpeg(
            *video,
            *SOUND[:3],
            "sine=frequency=440:duration=0.4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            mp4,
        )
    return mp3, flac, mp4


def _tag_mp3(path, title, artist, album, date, disc=None, track=None, cover=False):
    ID3().save(path)
    tags = EasyID3(path)
    tags.update({"title": title, "artist": artist, "album": album, "date": str(date)})
    if disc:
        tags["discnumber"] = str(disc)
    if track:
        tags["tracknumber"] = f"{track}/12"
    tags.save()
    if cover:
        id3 = ID3(path)
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=jpeg()))
        id3.save()


def _tag_flac(path, **tags):
    audio = FLAC(path)
    for name, value in tags.items():
        audio[name] = str(value)
    audio.save()


def _flac_with_cover(path):
    audio = FLAC(path)
    picture = Picture()
    picture.type, picture.mime, picture.data = 3, "image/jpeg", jpeg()
    audio.add_picture(picture)
    audio.save()


def generate(base):
    """Make the library under ``base``: ``{"video": Path, "music": Path, "photos": Path}``."""
    base = Path(base)
    roots = {name: base / name for name in ("video", "music", "photos")}
    for root in roots.values():
        root.mkdir(parents=True, exist_ok=True)
    mp3, flac, mp4 = _sources(base / "sources")
    video = roots["video"]
    for path, *_ in FILMS:
        write(video / path, b"not really a film")
    for path in EPISODES:
        write(video / path, f"episode {path}".encode())
    for path, text in NFO.items():
        write(video / path, text.encode())
    for art in [
        "Films/Alien (1979)/poster.jpg",
        "Films/Alien (1979)/fanart.jpg",
        "Films/Heat.1995.REMASTERED.2160p.UHD.BluRay.x265-TERMiNAL-poster.jpg",
        # In a folder of many films: no one film's poster.
        "Films/folder.jpg",
        "TV/The Expanse (2015)/poster.jpg",
        "TV/The Expanse (2015)/folder.jpg",  # poster.jpg comes first
        "TV/The Expanse (2015)/fanart.jpg",
        "TV/The Expanse (2015)/season02-poster.jpg",
        "TV/The Expanse (2015)/Season 01/folder.jpg",
        "TV/DW/folder.jpg",
    ]:
        write(video / art, jpeg())
    bunny = video / "Films/Big Buck Bunny (2008).mp4"
    shutil.copyfile(mp4, bunny)
    tags = MP4(bunny)
    tags["covr"] = [MP4Cover(jpeg(), imageformat=MP4Cover.FORMAT_JPEG)]
    tags.save()

    music = roots["music"]
    for path in (
        "Daft Punk/Discovery (2001)/01 One More Time.mp3",
        "Daft Punk/Discovery (2001)/02 Aerodynamic.mp3",
    ):
        write(music / path, mp3.read_bytes())
    write(music / "Daft Punk/Discovery (2001)/folder.jpg", jpeg())
    write(music / "Misc/track1.mp3", mp3.read_bytes())
    _tag_mp3(
        music / "Misc/track1.mp3", "Paranoid Android", "Radiohead", "OK Computer", 1997, 1, 2, cover=True
    )
    for number, (title, artist) in enumerate([("Song A", "Artist A"), ("Song B", "Artist B")], start=1):
        path = music / f"Compilations/Now 1/{number:02d}.flac"
        write(path, flac.read_bytes())
        _tag_flac(
            path,
            title=title,
            artist=artist,
            album="Now 1",
            albumartist="Various Artists",
            date=2020,
            tracknumber=number,
            discnumber=1,
            compilation=1,
        )
    for disc, name, title in [
        (1, "CD1/01 In the Flesh.flac", "In the Flesh?"),
        (2, "CD2/01 Hey You.flac", "Hey You"),
    ]:
        path = music / "Pink Floyd/The Wall" / name
        write(path, flac.read_bytes())
        _tag_flac(
            path,
            title=title,
            artist="Pink Floyd",
            album="The Wall",
            date=1979,
            tracknumber=1,
            discnumber=disc,
        )
        _flac_with_cover(path)  # the cover.jpg beside them comes first
    write(music / "Pink Floyd/The Wall/cover.jpg", jpeg())

    photos = roots["photos"]
    write(photos / "2023/IMG_0001.jpg", jpeg(64, 48, datetime(2023, 7, 14, 10, 0, 0)))
    write(photos / "2023/IMG_0002.jpg", jpeg(32, 32, datetime(2023, 7, 1, 8, 30, 0)))
    write(photos / "Scans/scan.jpg", jpeg(40, 30))
    stamp = PHOTO_MTIME.replace(tzinfo=timezone.utc).timestamp()
    os.utime(photos / "Scans/scan.jpg", (stamp, stamp))
    write(photos / "Scans/folder.jpg", jpeg())
    return roots


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
