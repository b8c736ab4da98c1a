"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL when available),
a clock that tests move, and the app wired to both."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlmodel import SQLModel

from config import load_settings
from config.settings import CONFIG_FILE_ENV
from tests.support.postgres import PostgresServer, find_bindir, start_postgres
from tests.support.schema import create_schema
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.db import make_engine
from tracker.models import Person, Role
from workflows import default_registry

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    given = os.environ.get("TRACKER_TEST_POSTGRES_URL")
    if given:
        yield _own_database(given)
        return
    server: PostgresServer | None = None
    if find_bindir() is not None:
        server = start_postgres()
    elif os.environ.get("TRACKER_TEST_REQUIRE_POSTGRES"):
        pytest.fail("PostgreSQL is required (TRACKER_TEST_REQUIRE_POSTGRES) but not installed")
    try:
        yield server.url if server else None
    finally:
        if server:
            server.stop()


def _own_database(url: str) -> str:
    """The given server's database, or, when the suite runs in several processes (`make
    test`), a database of this process's own on it, so that they never empty each other's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    name = f"tracker_test_{worker}"
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _pg_engine(postgres_url: str | None) -> Iterator[Engine | None]:
    if postgres_url is None:
        yield None
        return
    engine = make_engine(postgres_url, pool_size=20, max_overflow=40)
    SQLModel.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    """Empty every table, and start every id at 1 again. Only the tables a test wrote to are
    truncated: TRUNCATE costs some 4 ms a table whether it holds rows or not, and most tests
    touch a few of the 30 (90 ms a test before, about 15 after)."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    probe = " UNION ALL ".join(
        f"SELECT '{name}' FROM (SELECT 1 FROM \"{name}\" LIMIT 1) AS x" for name in tables
    )
    with engine.begin() as conn:
        used = [row[0] for row in conn.execute(text(probe))]
        if used:
            names = ", ".join(f'"{name}"' for name in used)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # A table left alone may still have had its sequence moved on by a rolled-back insert.
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


@pytest.fixture(autouse=True)
def _no_settings_file_from_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads tracker.toml in the working directory when no file is named, and the demo
    writes one there: set to nothing, TRACKER_CONFIG keeps a developer's demo out of tests."""
    monkeypatch.setenv(CONFIG_FILE_ENV, "")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the current schema, made once: a copy of it is some 0.3 ms, a
    create_all some 40 ms, for each of the SQLite tests."""
    path = tmp_path_factory.mktemp("template") / "tracker.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database with the current schema, on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "tracker.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    pg_engine: Engine | None = request.getfixturevalue("_pg_engine")
    if pg_engine is None:
        pytest.skip("PostgreSQL server binaries not installed")
    _truncate_all(pg_engine)
    yield pg_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[Engine]:
    if db_url.startswith("sqlite"):
        eng = make_engine(db_url)
        yield eng
        eng.dispose()
    else:
        yield request.getfixturevalue("_pg_engine")


@pytest.fixture
def now() -> datetime:
    """A fixed instant tests start from: a Wednesday, 10:00 in Stockholm."""
    return datetime(2018, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(
        environment="test",
        database_url=db_url,
        secret_key="test-secret-" + "x" * 40,
        public_base_url="http://testserver",
    )


@pytest.fixture
def app(settings, engine: Engine) -> App:  # type: ignore[no-untyped-def]
    return App(settings=settings, engine=engine, registry=default_registry())


@pytest.fixture
def chef(app: App, now: datetime) -> Person:
    with app.transaction() as s:
        person = Person(
            name="Malin Westling",
            email="malin.westling@pitea.example",
            role=Role.chef.value,
            forvaltning="Utbildningsförvaltningen",
            created_at=now,
        )
        s.add(person)
    return person


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    """An older relay: no SMTPUTF8."""
    server = SmtpServer(smtputf8=False).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()
