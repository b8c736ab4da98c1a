"""Backups: SQLite's online backup API, or pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tracker.errors import TrackerError


def _libpq_url(engine: Engine) -> str:
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
        if not candidates:
            raise TrackerError(
                f"{name} saknas: installera PostgreSQL-klienten (postgresql-client)."
            )
        found = str(candidates[0])
    return found


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target`, while the product keeps running."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source_path = engine.url.database
        if not source_path:
            raise TrackerError("Databasen finns bara i minnet och kan inte säkerhetskopieras.")
        with sqlite3.connect(source_path) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    result = subprocess.run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            "--dbname",
            _libpq_url(engine),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise TrackerError(f"pg_dump misslyckades: {result.stderr.strip()}")


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup in `source`.

    Stop the web and scheduler processes first: a restore is not meant to run beside them."""
    if not source.exists():
        raise TrackerError(f"Säkerhetskopian {source} finns inte.")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        target_path = engine.url.database
        if not target_path:
            raise TrackerError("Databasen finns bara i minnet och kan inte återställas.")
        with sqlite3.connect(source) as src:
            if src.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise TrackerError(f"{source} är ingen hel SQLite-databas.")
            with sqlite3.connect(target_path) as dst:
                src.backup(dst)
        return
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _libpq_url(engine),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise TrackerError(f"pg_restore misslyckades: {result.stderr.strip()}")
