"""Alembic environment for Theo's records database (protocols, requests, outbox).

Theo migrates itself at start-up (`records.migrate`), which hands Alembic the
connection to use in `config.attributes["connection"]`. Run by hand (`alembic
upgrade head`, `alembic current`) the database is `sqlalchemy.url` when set,
else DATABASE_URL (or the default SQLite file) from Theo's settings.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from dotenv import load_dotenv
from sqlalchemy.engine import Connection, Engine

import outages  # noqa: F401  (the outage tables)
import outbox  # noqa: F401  (puts the outbox table on the metadata)
import sql_business_data  # noqa: F401  (and the tables imported from spreadsheets)
import timers  # noqa: F401  (and the timers table)
from config import load_config
from records import lock_for_migration, make_engine, metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _engine() -> Engine:
    """`sqlalchemy.url` when set, else the database Theo itself would use."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return make_engine(url)
    load_dotenv()
    settings = load_config()
    return make_engine(settings.database_url, default_sqlite_path=settings.sqlite_path)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters most tables by copying them: batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Write the SQL to stdout (`alembic upgrade head --sql`) instead of running it."""
    engine = _engine()
    context.configure(
        url=engine.url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # records.migrate: its transaction, already locked
        _run(connection)
        return
    engine = _engine()
    try:
        with engine.begin() as connection:
            lock_for_migration(connection)
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
