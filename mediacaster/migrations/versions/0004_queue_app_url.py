"""The app's address a queue's device fetches from, so that a restart follows it again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("queues", sa.Column("app_url", sa.String(2048), nullable=True))


def downgrade():
    with op.batch_alter_table("queues") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("app_url")
