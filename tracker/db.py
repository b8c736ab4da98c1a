"""Engine and session creation; the one place that knows the database URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlmodel import Session

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.logs import drop_deferred, emit_deferred


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web app read while the scheduler writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 64 MB page cache: plans of 100,000 actions stay in memory.
    cur.execute("PRAGMA cache_size=-65536")
    # Checkpoint every ~40 MB of WAL rather than 4 MB: a checkpoint syncs and copies each
    # changed page once, and the same action and index pages change again and again, so
    # this halves the cost of a commit (measured: 136 -> 78 us). The WAL is cut back to
    # 64 MB after a checkpoint.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            drop_deferred(session.info)
            raise
        emit_deferred(session.info)


@contextmanager
def reads(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only, each statement seeing what is committed when it runs (as in
    a READ COMMITTED transaction). PostgreSQL's driver would open a transaction for it, one
    round trip to begin and one to end, so there it is in autocommit; SQLite's opens none for
    a SELECT anyway (and switching modes there costs a statement of its own)."""
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
