"""A random stamp of each user's password, what browser sessions are checked against.

New with each new password; a rehash on login leaves it be.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("password_stamp", sa.String(32), nullable=False, server_default=""))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("password_stamp", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        stamp = secrets.token_hex(16)
        connection.execute(users.update().where(users.c.id == user_id).values(password_stamp=stamp))


def downgrade():
    # ALTER TABLE … DROP COLUMN, on SQLite too (3.35 and later): a batch copy of the table
    # would drop the original, and with foreign keys on, every row that refers to it.
    op.drop_column("users", "password_stamp")
