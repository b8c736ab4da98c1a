"""Alembic, driven from code: `tracker db upgrade` and the tests use the same path."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import TrackerError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; TrackerError, and nothing changed, when a later version of the
    program has upgraded the database past what this one knows."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if refusal := newer_schema_refusal(current):
        raise TrackerError(refusal + ".")
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def revisions(engine: Engine) -> tuple[str | None, str | None]:
    """The database's schema revision (None: no schema) and the newest the code has.

    Raises SQLAlchemyError when the database cannot be reached."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, code_head()


@cache
def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


@cache
def code_head() -> str | None:
    """The newest schema revision the code has: read once, as every CLI command asks."""
    return _script().get_current_head()


def newer_schema_refusal(current: str | None, *, subject: str = "Databasens schema") -> str | None:
    """What to do when the database's revision is one this code does not have: a later version
    upgraded it (docs/deploy.md, going back after an upgrade). An upgrade cannot help then."""
    if current is None or current in {s.revision for s in _script().walk_revisions()}:
        return None
    return (
        f"{subject} är {current}, nyare än programmets {code_head()}: en senare version av "
        "programmet har uppgraderat databasen. Installera den versionen igen, eller "
        "återställ säkerhetskopian från före uppgraderingen (docs/deploy.md, Uppgradering)"
    )


def require_current_schema(engine: Engine) -> None:
    """TrackerError unless the database's schema is the code's: the web and the scheduler
    started before `tracker db upgrade` would answer 500 and fail every job instead, and a
    command would end in a traceback."""
    try:
        current, head = revisions(engine)
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise TrackerError(f"Databasen går inte att nå: {first_line}") from None
    if current == head:
        return
    upgrade_first = (
        "kör 'tracker db upgrade' (med tjänstens miljö) innan webben, schemaläggaren och "
        "kommandona används"
    )
    if current is None:
        raise TrackerError(f"Databasen har inget schema: {upgrade_first}.")
    if refusal := newer_schema_refusal(current):
        raise TrackerError(refusal + ".")
    raise TrackerError(
        f"Databasens schema är {current}, programmet behöver {head}: {upgrade_first}."
    )
