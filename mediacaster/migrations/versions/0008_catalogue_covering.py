"""Indexes that hold what Next up reads of each file the history names: the file's id
and whether it is present beside its root and path, and an episode's show and place
beside its file, so that neither table itself is read for each of a user's rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_catalogue_files_path", table_name="catalogue_files")
    op.create_index("ix_catalogue_files_path", "catalogue_files", ["root", "path", "present", "id"])
    op.create_index(
        "ix_catalogue_episodes_file_show", "catalogue_episodes", ["file_id", "show_id", "watch_order"]
    )


def downgrade():
    op.drop_index("ix_catalogue_episodes_file_show", table_name="catalogue_episodes")
    op.drop_index("ix_catalogue_files_path", table_name="catalogue_files")
    op.create_index("ix_catalogue_files_path", "catalogue_files", ["root", "path"])
