"""Another transaction holding what a write must wait for, as a re-import or another
process's change would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from tracker.app import App


@contextmanager
def held_lock(app: App, table: str, row_id: int) -> Iterator[None]:
    """The row's lock on PostgreSQL (SELECT … FOR UPDATE); the write lock of the whole file
    on SQLite, which locks no rows."""
    if app.engine.dialect.name == "sqlite":
        path = app.engine.url.database
        assert path
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    assert table.isidentifier()
    with app.engine.connect() as conn:
        conn.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
        try:
            yield
        finally:
            conn.rollback()
