"""tracker.db: the engine a site configures, and a lock wait that gives up, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.support.locks import held_lock
from tracker.app import App
from tracker.db import is_lock_timeout, make_engine, transaction
from tracker.models import Person


def _terminate(postgres_url: str, pid: int) -> None:
    """The server ends a session, as a restart or an idle timeout would."""
    admin = make_engine(postgres_url, poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def pool_of_one(postgres_url: str | None) -> Iterator[tuple[Engine, str]]:
    """An engine on PostgreSQL with one pooled connection, and the server's URL."""
    if postgres_url is None:
        pytest.skip("PostgreSQL server binaries not installed")
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    yield engine, postgres_url
    engine.dispose()


def test_a_server_connection_closed_while_idle_is_replaced_before_use(
    pool_of_one: tuple[Engine, str],
) -> None:
    """A database restart costs no request an error."""
    engine, url = pool_of_one
    first = _backend_pid(engine)
    _terminate(url, first)
    assert _backend_pid(engine) != first


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_lock_timeout_is_set_and_the_urls_own_options_still_hold(db_url: str) -> None:
    engine = make_engine(f"{db_url}?options=-c%20statement_timeout%3D12345", lock_timeout_s=2.5)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "12345ms"
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "2500ms"
    finally:
        engine.dispose()


@pytest.fixture
def person(app: App, now: datetime) -> int:
    with app.transaction() as s:
        someone = Person(name="Anna Berg", email="anna.berg@pitea.example", created_at=now)
        s.add(someone)
        s.flush()
        assert someone.id is not None
        return someone.id


def test_a_write_that_waits_too_long_for_a_lock_gives_up_and_changes_nothing(
    app: App, person: int
) -> None:
    """On both databases the error is one is_lock_timeout knows (the web shows a 503 for it)."""
    impatient = make_engine(app.settings.database_url, lock_timeout_s=0.2)
    rename = update(Person).where(Person.id == person).values(name="Bo Lind")  # type: ignore[arg-type]
    try:
        with (
            held_lock(app, "person", person),
            pytest.raises(DBAPIError) as waited,
            transaction(impatient) as session,
        ):
            session.execute(rename)
        assert is_lock_timeout(waited.value)
        with app.transaction() as s:
            assert s.get(Person, person).name == "Anna Berg"  # type: ignore[union-attr]
    finally:
        impatient.dispose()


def test_other_errors_are_not_taken_for_a_lock_wait(app: App) -> None:
    with pytest.raises(DBAPIError) as failed, app.transaction() as s:
        s.execute(text("SELECT * FROM no_such_table"))
    assert not is_lock_timeout(failed.value)
