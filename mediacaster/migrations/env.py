"""Alembic's entry point: runs the migrations on the connection the app hands over
(``mediacaster.models.migrations``), or on ``sqlalchemy.url`` for the alembic command."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from mediacaster.models.meta import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    # SQLite alters tables by copying them (batch mode); PostgreSQL alters them in place.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
