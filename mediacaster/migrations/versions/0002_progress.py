"""What each user played: positions, watched files.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("root", sa.String(255), nullable=False),
        sa.Column("path", sa.LargeBinary(), nullable=False),
        sa.Column("folder", sa.LargeBinary(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress")),
    )
    op.create_index("ix_progress_folder", "progress", ["user_id", "root", "folder"])
    op.create_index("ix_progress_recent", "progress", ["user_id", "updated_at"])
    op.create_index(
        "uq_progress_file", "progress", [sa.text("coalesce(user_id, 0)"), "root", "path"], unique=True
    )


def downgrade():
    op.drop_index("uq_progress_file", table_name="progress")
    op.drop_index("ix_progress_recent", table_name="progress")
    op.drop_index("ix_progress_folder", table_name="progress")
    op.drop_table("progress")
