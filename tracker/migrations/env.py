"""Alembic environment: the engine comes from tracker.migrate, never from a URL in a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers the tables)

config = context.config


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """APScheduler creates and owns its job table; autogenerate must not offer to drop it."""
    return not (type_ == "table" and name == "apscheduler_jobs")


engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot ALTER most columns: batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_ours,
    )
    context.run_migrations()
