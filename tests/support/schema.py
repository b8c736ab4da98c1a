"""The schema as tests make it: the models' tables at once (create_all is much faster than
running every migration), stamped with the code's newest revision, as `tracker db upgrade`
leaves a database, so that the commands, which refuse an older schema, run on it.
tests/test_migrations.py shows the migrations make the same tables."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine
from sqlmodel import SQLModel

from tracker.migrate import alembic_config


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
    command.stamp(alembic_config(engine), "head")
