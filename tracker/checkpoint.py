"""SQLite's WAL checkpoints, run by a thread of the web process instead of by a request.

SQLite checkpoints on its own in the commit that takes the write-ahead log past its threshold
(tracker.db sets 10,000 pages): that commit then copies the changed pages into the database
file and syncs it. Measured on an owner update: ~100 ms, once every ~2,500 updates, and every
request queued behind it in that web process waits as long. Here a thread checkpoints every
second instead (PASSIVE: it never waits for readers or writers, nor makes them wait), so the
log stays far below the threshold and requests do not checkpoint. SQLite's own checkpoint
stays as the backstop, for processes without this thread (the scheduler, the command line).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import Engine

from tracker.logs import log_event

_log = logging.getLogger(__name__)

EVERY_S = 1.0


class Checkpointed(NamedTuple):
    """What `PRAGMA wal_checkpoint(PASSIVE)` reports."""

    busy: int
    log_frames: int
    checkpointed_frames: int


def checkpoint(engine: Engine) -> Checkpointed:
    """One passive checkpoint of the engine's SQLite database."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return Checkpointed(*row)


@contextmanager
def checkpoints_in_background(engine: Engine, every_s: float = EVERY_S) -> Iterator[None]:
    """While inside: checkpoints every `every_s` from a thread (SQLite database files only;
    for any other engine this does nothing)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield
        return
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every_s):
            try:
                checkpoint(engine)
            except Exception as exc:  # a failed checkpoint is retried; SQLite's own is the backstop
                log_event(_log, "wal.checkpoint_failed", error=str(exc))

    thread = threading.Thread(target=run, name="tracker-wal-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
