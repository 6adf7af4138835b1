"""The catalogue: media files that keep their identity through a move, and what they hold.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id():
    return sa.Column("id", sa.Integer(), nullable=False)


def _key(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def _item(table, *columns):
    """A table of items that each stand on one catalogue file."""
    op.create_table(
        table,
        _id(),
        sa.Column("file_id", sa.Integer(), nullable=False),
        *columns,
        _key(table, "file_id", "catalogue_files"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("file_id", name=op.f(f"uq_{table}_file_id")),
    )


def upgrade():
    op.create_table(
        "catalogue_files",
        _id(),
        sa.Column("root", sa.String(255), nullable=False),
        sa.Column("path", sa.LargeBinary(), nullable=False),
        sa.Column("folder", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("device", sa.BigInteger(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_files")),
    )
    op.create_index("ix_catalogue_files_path", "catalogue_files", ["root", "path"])
    op.create_index("ix_catalogue_files_folder", "catalogue_files", ["root", "folder"])
    op.create_index("ix_catalogue_files_inode", "catalogue_files", ["device", "inode"])
    op.create_index("ix_catalogue_files_hash", "catalogue_files", ["content_hash"])

    op.create_table(
        "catalogue_shows",
        _id(),
        sa.Column("root", sa.String(255), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("sort_title", sa.String(512), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("poster", sa.LargeBinary(), nullable=True),
        sa.Column("fanart", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_shows")),
        sa.UniqueConstraint("root", "key", name="uq_catalogue_shows_root_key"),
    )
    op.create_index("ix_catalogue_shows_sort_title", "catalogue_shows", ["sort_title"])
    op.create_table(
        "catalogue_seasons",
        _id(),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("poster", sa.LargeBinary(), nullable=True),
        _key("catalogue_seasons", "show_id", "catalogue_shows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_seasons")),
        sa.UniqueConstraint("show_id", "number", name="uq_catalogue_seasons_show_id_number"),
    )
    _item(
        "catalogue_episodes",
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("last_number", sa.Integer(), nullable=True),
        sa.Column("absolute_number", sa.Integer(), nullable=True),
        sa.Column("aired", sa.Date(), nullable=True),
        sa.Column("title", sa.String(512), nullable=True),
        _key("catalogue_episodes", "show_id", "catalogue_shows"),
        _key("catalogue_episodes", "season_id", "catalogue_seasons"),
    )
    op.create_index("ix_catalogue_episodes_show_id", "catalogue_episodes", ["show_id"])
    op.create_index("ix_catalogue_episodes_season_id", "catalogue_episodes", ["season_id"])

    _item(
        "catalogue_films",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("sort_title", sa.String(512), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("edition", sa.String(255), nullable=True),
        sa.Column("poster", sa.LargeBinary(), nullable=True),
        sa.Column("poster_embedded", sa.Boolean(), nullable=False),
        sa.Column("fanart", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_catalogue_films_sort_title", "catalogue_films", ["sort_title"])

    op.create_table(
        "catalogue_artists",
        _id(),
        sa.Column("root", sa.String(255), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("sort_name", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_artists")),
        sa.UniqueConstraint("root", "key", name="uq_catalogue_artists_root_key"),
    )
    op.create_index("ix_catalogue_artists_sort_name", "catalogue_artists", ["sort_name"])
    op.create_table(
        "catalogue_albums",
        _id(),
        sa.Column("root", sa.String(255), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("sort_title", sa.String(512), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("compilation", sa.Boolean(), nullable=False),
        sa.Column("cover", sa.LargeBinary(), nullable=True),
        sa.Column("cover_embedded", sa.Boolean(), nullable=False),
        _key("catalogue_albums", "artist_id", "catalogue_artists"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_albums")),
        sa.UniqueConstraint("root", "artist_id", "key", name="uq_catalogue_albums_root_artist_id_key"),
    )
    op.create_index("ix_catalogue_albums_artist_id", "catalogue_albums", ["artist_id"])
    _item(
        "catalogue_tracks",
        sa.Column("album_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("disc", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        _key("catalogue_tracks", "album_id", "catalogue_albums"),
        _key("catalogue_tracks", "artist_id", "catalogue_artists"),
    )
    op.create_index("ix_catalogue_tracks_album_id", "catalogue_tracks", ["album_id"])
    op.create_index("ix_catalogue_tracks_artist_id", "catalogue_tracks", ["artist_id"])

    _item(
        "catalogue_photos",
        sa.Column("taken_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("taken_from_exif", sa.Boolean(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
    )
    op.create_index("ix_catalogue_photos_taken_at", "catalogue_photos", ["taken_at"])


def downgrade():
    # Items first, then what they stand on; an index goes with its table.
    for table in (
        "catalogue_photos",
        "catalogue_tracks",
        "catalogue_albums",
        "catalogue_artists",
        "catalogue_films",
        "catalogue_episodes",
        "catalogue_seasons",
        "catalogue_shows",
        "catalogue_files",
    ):
        op.drop_table(table)
