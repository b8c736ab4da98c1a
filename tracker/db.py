"""Engines and the unit of work: the one place that knows the database URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.logs import drop_deferred, emit_deferred

# Settings.database_lock_timeout_seconds is the configured value; this is for engines made
# without settings (tests, benches).
LOCK_TIMEOUT_S = 15.0

# PostgreSQL's SQLSTATE for a lock wait ended by lock_timeout.
_PG_LOCK_NOT_AVAILABLE = "55P03"
_SQLITE_BUSY = 5  # the primary result code; extended codes carry it in their low byte


def make_engine(url: str, *, lock_timeout_s: float = LOCK_TIMEOUT_S, **kwargs: Any) -> Engine:
    """The engine for `url`. A statement that waits for a lock longer than `lock_timeout_s`
    fails (is_lock_timeout tells such an error), on SQLite and PostgreSQL alike."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": lock_timeout_s},
            **kwargs,
        )
        # The file's directory is made when the first connection makes the file, not here:
        # an engine built only to find the file missing (tracker check) leaves nothing behind.
        event.listen(engine, "do_connect", _sqlite_dir_maker(url))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # pre_ping: a connection the server closed meanwhile (a restart) is replaced before use.
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "connect", _postgres_lock_timeout(lock_timeout_s))
    return engine


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    path = url.split(":///", 1)[-1] if ":///" in url else ""
    return path if path and path != ":memory:" else None


def missing_sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL when it is not there (connecting would make a new, empty
    database); None when it is, or the database is not a SQLite file."""
    path = sqlite_file(url)
    return path if path is not None and not Path(path).is_file() else None


def _sqlite_dir_maker(url: str) -> Any:
    path = sqlite_file(url)

    def make_dir(*_: Any) -> None:
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    return make_dir


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web app read while the scheduler writes; foreign keys are off by default.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL syncs at checkpoints rather than at every commit: a commit that is
    # not yet synced can be lost to a power cut, never corrupted. With the default (FULL) a
    # commit waits for the disk: bench/core.py's transitions went from ~2,000 to ~125/s.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _postgres_lock_timeout(seconds: float) -> Any:
    # Set per connection rather than as a connect option, so that options given in the
    # database URL still hold.
    def set_lock_timeout(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(seconds * 1000)}")
        dbapi_conn.commit()

    return set_lock_timeout


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error is a lock wait that gave up (nothing was changed by it)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_BUSY


@contextmanager
def transaction(engine: Engine, *, dry_run: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. What was logged with
    tracker.logs.log_after_commit(session.info, ...) is logged after the commit. A dry run
    does all the work and its checks, then rolls back as if it had failed."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            if dry_run:
                raise _DryRun
            session.commit()
        except BaseException as exc:
            session.rollback()
            drop_deferred(session.info)
            if not isinstance(exc, _DryRun):
                raise
            return
        emit_deferred(session.info)


class _DryRun(Exception):
    """Ends a dry run's unit of work the way a failure does, without being one."""
