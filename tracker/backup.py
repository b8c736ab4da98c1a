"""Backups: SQLite's online backup API, or pg_dump, pg_restore and psql for PostgreSQL."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from tracker.errors import TrackerError

# Tables every database of the product has: a database, or a copy, without them is not the
# product's (an empty file, another database), and copying it either way loses everything.
PRODUCT_TABLES = ("person", "plan", "action")
WHICH_DATABASE = (
    "kontrollera TRACKER_DATABASE_URL och TRACKER_CONFIG: kör kommandot med samma miljö som "
    "tjänsten (/etc/tracker/env)"
)


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


# A table in pg_restore's list: "215; 1259 16390 TABLE public person tracker" (not its
# "TABLE DATA" line).
_DUMP_TABLE = re.compile(r" TABLE (?!DATA )\S+ (\S+)")


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _check_is_the_products(engine: Engine) -> None:
    """TrackerError unless the database has the product's tables: run without the service's
    settings, a command reads the default database, which is empty, and a copy of that
    restored later would empty the real one."""
    missing = [t for t in PRODUCT_TABLES if not inspect(engine).has_table(t)]
    if missing:
        raise TrackerError(
            f"Databasen {_where(engine)} saknar produktens tabeller ({', '.join(missing)}): "
            f"{WHICH_DATABASE}."
        )


def _sqlite_tables(path: Path) -> set[str]:
    """The tables in a SQLite file, opened read-only so that a missing one is not created."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


def _postgres_dump_tables(source: Path) -> set[str]:
    """The tables a pg_dump archive holds, from its table of contents (pg_restore --list)."""
    result = subprocess.run(
        [_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TrackerError(
            f"{source} är ingen säkerhetskopia av en PostgreSQL-databas (pg_restore: "
            f"{result.stderr.strip()})."
        )
    return {found[1] for found in _DUMP_TABLE.finditer(result.stdout)}


def _sqlite_copy_tables(source: Path) -> set[str]:
    try:
        return _sqlite_tables(source)
    except sqlite3.DatabaseError:
        raise TrackerError(
            f"{source} är ingen säkerhetskopia av en SQLite-databas; ingenting är återställt. "
            "(En kopia från PostgreSQL återställs med TRACKER_DATABASE_URL satt till "
            "PostgreSQL-databasen.)"
        ) from None


def _check_copy_is_the_products(tables: set[str], source: Path) -> None:
    missing = [t for t in PRODUCT_TABLES if t not in tables]
    if missing:
        raise TrackerError(
            f"Säkerhetskopian {source} saknar produktens tabeller ({', '.join(missing)}) och "
            "skulle tömma databasen; ingenting är återställt. Är det rätt fil?"
        )


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target`, while the product keeps running."""
    if engine.dialect.name == "sqlite":
        source_path = engine.url.database
        if not source_path:
            raise TrackerError("Databasen finns bara i minnet och kan inte säkerhetskopieras.")
        if not Path(source_path).is_file():
            raise TrackerError(f"Databasfilen {source_path} finns inte: {WHICH_DATABASE}.")
        _check_is_the_products(engine)
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source_path) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    _check_is_the_products(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
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
        _check_copy_is_the_products(_sqlite_copy_tables(source), source)
        with sqlite3.connect(source) as src:
            if src.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise TrackerError(f"{source} är ingen hel SQLite-databas.")
            with sqlite3.connect(target_path) as dst:
                src.backup(dst)
        return
    in_copy = _postgres_dump_tables(source)
    _check_copy_is_the_products(in_copy, source)
    # pg_restore --clean drops only what the copy holds. A table added since the copy was taken
    # (by an upgrade after it) would stay, and one that refers to a table in the copy stops
    # that table from being dropped: it goes first, in the same transaction as the restore.
    quote = engine.dialect.identifier_preparer.quote
    added = sorted(set(inspect(engine).get_table_names()) - in_copy)
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as work:
        script = Path(work) / "restore.sql"
        written = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--file",
                str(script),
                str(source),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if written.returncode != 0:
            raise TrackerError(f"pg_restore misslyckades: {written.stderr.strip()}")
        names = ", ".join(quote(t) for t in added)
        drop = f"DROP TABLE IF EXISTS {names} CASCADE;" if added else ""
        result = subprocess.run(
            [
                _tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                *(["--command", drop] if drop else []),
                "--file",
                str(script),
                "--dbname",
                _libpq_url(engine),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise TrackerError(f"Återställningen misslyckades (psql): {result.stderr.strip()}")
