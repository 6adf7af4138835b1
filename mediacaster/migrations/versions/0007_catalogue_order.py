"""Each episode's place in its show's watching order, and the indexes Next up and the
album list read through.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("catalogue_episodes", sa.Column("watch_order", sa.Integer(), nullable=True))
    op.create_index("ix_catalogue_episodes_show_order", "catalogue_episodes", ["show_id", "watch_order"])
    op.create_index("ix_catalogue_albums_sort_title", "catalogue_albums", ["sort_title"])
    _number_the_episodes(op.get_bind())


def _number_the_episodes(connection):
    """Episodes already read get their places as the scanner gives them (store.order_episodes)."""
    from mediacaster.services.catalogue.store import watching_order

    episodes = sa.table(
        "catalogue_episodes",
        sa.column("id", sa.Integer),
        sa.column("show_id", sa.Integer),
        sa.column("season_id", sa.Integer),
        sa.column("file_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("aired", sa.Date),
        sa.column("watch_order", sa.Integer),
    )
    seasons = sa.table("catalogue_seasons", sa.column("id", sa.Integer), sa.column("number", sa.Integer))
    files = sa.table("catalogue_files", sa.column("id", sa.Integer), sa.column("path", sa.LargeBinary))
    rows = connection.execute(
        sa.select(episodes.c.show_id, episodes.c.id, seasons.c.number, episodes.c.number)
        .add_columns(episodes.c.aired, files.c.path)
        .join(seasons, episodes.c.season_id == seasons.c.id)
        .join(files, episodes.c.file_id == files.c.id)
    ).all()
    rows.sort(key=lambda row: (row[0], watching_order(*row[2:])))
    place, show = 0, None
    for show_id, episode_id, season, *_ in rows:
        place = 1 if show_id != show else place + 1
        show = show_id
        if season != 0:
            connection.execute(episodes.update().where(episodes.c.id == episode_id).values(watch_order=place))


def downgrade():
    op.drop_index("ix_catalogue_albums_sort_title", table_name="catalogue_albums")
    op.drop_index("ix_catalogue_episodes_show_order", table_name="catalogue_episodes")
    # ALTER TABLE … DROP COLUMN, on SQLite too (see 0005).
    op.drop_column("catalogue_episodes", "watch_order")
