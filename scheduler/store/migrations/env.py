"""Alembic environment for the scheduler's tables.

`scheduler.store.db.migrate` hands over an open connection, so a migration
shares the caller's transaction; the alembic command line (for writing new
revisions) connects to the database `resolve_db_url` picks.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlmodel import AutoString, UTCDateTime

from scheduler.store.db import make_engine, resolve_db_url
from scheduler.store.models import metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render SQLModel's column types as plain SQLAlchemy ones.

    A revision must not import application code: it has to keep working
    after the models have moved on.
    """
    if type_ == "type" and isinstance(obj, AutoString):
        return "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=resolve_db_url(None),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (shared := context.config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    engine = make_engine(resolve_db_url(None))
    with engine.begin() as own:
        run_migrations(own)
    engine.dispose()
