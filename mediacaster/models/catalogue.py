"""The catalogue: what the library holds as films, shows, music and photos, read from
what is on the disk (mediacaster/services/catalogue).

Every item stands on a :class:`CatalogueFile`, the record of one media file. The record
keeps its id when the file is renamed or moved within its root (matched by device, inode
and size, then by a hash of its first and last MiB), and stays, marked not present, when
the file vanishes, so that it is found again if the file comes back.

What a user played stays keyed by root and path (mediacaster/models/history.py), as every
player and the cast watcher write it; the scanner rewrites those rows when it sees a
file move (services/catalogue/store.py), so watched state and positions follow the file.
Paths are stored as the bytes they stand for (mediacaster.bytenames), as in the history,
so that the two join on ``(root, path)``.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from mediacaster.models.accounts import now
from mediacaster.models.meta import Base

FILE_KINDS = ("video", "audio", "image")


class CatalogueFile(Base):
    __tablename__ = "catalogue_files"
    __table_args__ = (
        # With what Next up reads of a file the history names (migration 0008).
        Index("ix_catalogue_files_path", "root", "path", "present", "id"),
        # The files of a folder at once (a deleted folder, the files beside one).
        Index("ix_catalogue_files_folder", "root", "folder"),
        # A moved file is found again by its inode, then by its content.
        Index("ix_catalogue_files_inode", "device", "inode"),
        Index("ix_catalogue_files_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    root: Mapped[str] = mapped_column(String(255))
    # The path's bytes below the root, and its folder's (as in the history's rows).
    # Not unique: a vanished file's record keeps its last path while another file may
    # take that path; the scanner keeps one present record per path.
    path: Mapped[bytes] = mapped_column(LargeBinary)
    folder: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(16))  # video, audio or image
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    # SHA-256 of the size and the first and last MiB: cheap to read, and the same after a
    # copy from a backup (which the inode is not).
    content_hash: Mapped[str] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # When it arrived in the library: its inode's change time when first seen (a copy, a
    # move or a download sets it), for "recently added" and the films' date order.
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class _OnFile:
    """An item that stands on one catalogue file, and goes with it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("catalogue_files.id", ondelete="CASCADE"), unique=True)

    @declared_attr
    def file(cls) -> Mapped[CatalogueFile]:
        return relationship(CatalogueFile)


class Show(Base):
    __tablename__ = "catalogue_shows"
    __table_args__ = (UniqueConstraint("root", "key", name="uq_catalogue_shows_root_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    root: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(512))  # the folded title: what two files share, searched
    title: Mapped[str] = mapped_column(String(512))
    sort_title: Mapped[str] = mapped_column(String(512), index=True)
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    # Art: a path below the root; with *_embedded, the media file whose cover it is.
    poster: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    fanart: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    seasons: Mapped[list["Season"]] = relationship(
        back_populates="show", cascade="all, delete-orphan", order_by="Season.number"
    )


class Season(Base):
    __tablename__ = "catalogue_seasons"
    __table_args__ = (UniqueConstraint("show_id", "number", name="uq_catalogue_seasons_show_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("catalogue_shows.id", ondelete="CASCADE"))
    # 0: specials; a year for shows named by date.
    number: Mapped[int] = mapped_column(Integer)
    poster: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    show: Mapped[Show] = relationship(back_populates="seasons")


class Episode(_OnFile, Base):
    __tablename__ = "catalogue_episodes"
    __table_args__ = (
        # Next up: a show's episodes after the last one watched, in watching order.
        Index("ix_catalogue_episodes_show_order", "show_id", "watch_order"),
        # The show and place of a file's episode, read without the table (migration 0008).
        Index("ix_catalogue_episodes_file_show", "file_id", "show_id", "watch_order"),
    )

    show_id: Mapped[int] = mapped_column(ForeignKey("catalogue_shows.id", ondelete="CASCADE"), index=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("catalogue_seasons.id", ondelete="CASCADE"), index=True)
    # The first and last episode numbers the file holds (S01E01E02: 1 and 2); None for a
    # show named by date.
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    last_number: Mapped[int | None] = mapped_column(Integer, default=None)
    absolute_number: Mapped[int | None] = mapped_column(Integer, default=None)  # anime
    aired: Mapped[date | None] = mapped_column(Date, default=None)
    title: Mapped[str | None] = mapped_column(String(512), default=None)
    # Its place among the show's episodes in the order they are watched (seasons, then
    # numbers or dates, then paths), kept by the scanner; None for specials, which are
    # not in that order (Next up leaves them out).
    watch_order: Mapped[int | None] = mapped_column(Integer, default=None)
    season: Mapped[Season] = relationship()


class Film(_OnFile, Base):
    __tablename__ = "catalogue_films"

    key: Mapped[str] = mapped_column(String(512))  # the folded title, searched
    title: Mapped[str] = mapped_column(String(512))
    sort_title: Mapped[str] = mapped_column(String(512), index=True)
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    edition: Mapped[str | None] = mapped_column(String(255), default=None)
    poster: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    poster_embedded: Mapped[bool] = mapped_column(Boolean, default=False)
    fanart: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class Artist(Base):
    __tablename__ = "catalogue_artists"
    __table_args__ = (UniqueConstraint("root", "key", name="uq_catalogue_artists_root_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    root: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(512))
    sort_name: Mapped[str] = mapped_column(String(512), index=True)


class Album(Base):
    __tablename__ = "catalogue_albums"
    __table_args__ = (
        UniqueConstraint("root", "artist_id", "key", name="uq_catalogue_albums_root_artist_id_key"),
        Index("ix_catalogue_albums_sort_title", "sort_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    root: Mapped[str] = mapped_column(String(255))
    # The album artist: "Various Artists" for a compilation.
    artist_id: Mapped[int] = mapped_column(ForeignKey("catalogue_artists.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(String(512))
    sort_title: Mapped[str] = mapped_column(String(512))
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    compilation: Mapped[bool] = mapped_column(Boolean, default=False)
    cover: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    cover_embedded: Mapped[bool] = mapped_column(Boolean, default=False)
    artist: Mapped[Artist] = relationship()


class Track(_OnFile, Base):
    __tablename__ = "catalogue_tracks"

    album_id: Mapped[int] = mapped_column(ForeignKey("catalogue_albums.id", ondelete="CASCADE"), index=True)
    # Who plays it, which on a compilation is not the album artist.
    artist_id: Mapped[int] = mapped_column(ForeignKey("catalogue_artists.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(512))
    disc: Mapped[int | None] = mapped_column(Integer, default=None)
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    album: Mapped[Album] = relationship()
    artist: Mapped[Artist] = relationship()


class Photo(_OnFile, Base):
    __tablename__ = "catalogue_photos"

    # From EXIF when the camera wrote it, else the file's mtime; as the camera's clock
    # says it (EXIF has no zone), so stored without one.
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=False), index=True)
    taken_from_exif: Mapped[bool] = mapped_column(Boolean, default=False)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
