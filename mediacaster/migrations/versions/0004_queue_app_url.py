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
    # ALTER TABLE … DROP COLUMN, on SQLite too (3.35 and later): a batch copy of the table
    # would drop the original, and with foreign keys on, the queue items that refer to it.
    op.drop_column("queues", "app_url")
