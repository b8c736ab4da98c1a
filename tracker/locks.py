"""A lock per scheduled job across processes: a PostgreSQL advisory lock.

APScheduler 3 does not coordinate several scheduler processes on one job store, so each may
start the same job. The work is safe anyway (unique keys on sent reminders, claimed outbox
rows); the lock saves the second process doing it for nothing. SQLite serves one host, where
the unique keys are enough, so there the lock is always granted.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


def lock_key(name: str) -> int:
    return zlib.crc32(f"tracker.job.{name}".encode())


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True if this process may run the job now, False if another one holds it.

    Session-level lock on its own connection: released at the end, or by PostgreSQL when
    the process dies and its connection closes.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
