"""tracker.db: statements a hot path runs on the driver's cursor (Prepared) behave as if run
through SQLAlchemy (same SQL, converted values, SQLAlchemy's errors), on each backend; pooled
PostgreSQL connections are pinged only after being idle."""

from __future__ import annotations

import gc
import sqlite3
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

import tracker.db
from tracker.db import Prepared, WriteLocked, make_engine, single_write
from tracker.models import Person

_PERSON = Person.__table__  # type: ignore[attr-defined]
_INSERT = Prepared(insert(_PERSON), key=_PERSON.c.id)
_READ = Prepared(
    select(_PERSON.c.email, _PERSON.c.created_at).where(_PERSON.c.id == bindparam("person_id"))
)
_RENAME = Prepared(_PERSON.update().where(_PERSON.c.id == bindparam("match_id")))


def _person(email: str, at: datetime) -> dict[str, object]:
    return {"name": "Anna", "email": email, "role": "owner", "forvaltning": "", "created_at": at}


def test_prepared_statements_write_and_read_back_converted_values(
    engine: Engine, now: datetime
) -> None:
    local = now.astimezone(ZoneInfo("Europe/Stockholm")) + timedelta(microseconds=7)
    with engine.begin() as conn:
        first = _INSERT.inserted_key(conn, _person("a@pitea.example", local))
        second = _INSERT.inserted_key(conn, _person("b@pitea.example", local))
        assert second == first + 1
        assert _RENAME.rowcount(conn, {"name": "Bo", "match_id": second}) == 1
        assert _RENAME.rowcount(conn, {"name": "Bo", "match_id": second + 99}) == 0
        row = _READ.first(conn, {"person_id": first})
        assert _READ.first(conn, {"person_id": second + 99}) is None
    assert row is not None
    email, created_at = row
    assert email == "a@pitea.example"
    assert created_at == local and created_at.utcoffset() == timedelta(0)
    with engine.connect() as conn:
        names = conn.execute(select(_PERSON.c.name).order_by(_PERSON.c.id)).scalars().all()
    assert names == ["Anna", "Bo"]


def test_a_prepared_statement_begins_a_transaction_like_execute_does(
    engine: Engine, now: datetime
) -> None:
    with engine.connect() as conn:
        kept = _INSERT.inserted_key(conn, _person("a@pitea.example", now))
        conn.commit()
        _INSERT.inserted_key(conn, _person("b@pitea.example", now))
        conn.rollback()
    with engine.connect() as conn:
        assert conn.execute(select(_PERSON.c.id)).scalars().all() == [kept]


def test_a_failing_prepared_statement_raises_sqlalchemys_error_and_rolls_back(
    engine: Engine, now: datetime
) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _INSERT.inserted_key(conn, _person("a@pitea.example", now))
        _INSERT.inserted_key(conn, {**_person("b@pitea.example", now), "name": None})
    with engine.connect() as conn:
        assert conn.execute(select(_PERSON.c.id)).all() == []


def test_a_statement_missing_a_value_is_refused_before_it_runs(engine: Engine) -> None:
    with pytest.raises(ValueError, match="person_id"), engine.connect() as conn:
        _READ.first(conn, {"id": 1})


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
    pool_of_one: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, url = pool_of_one
    first = _backend_pid(engine)
    _terminate(url, first)
    # Idle for longer than the limit (moved, not waited for): pinged and replaced.
    monkeypatch.setattr(tracker.db, "IDLE_PING_AFTER_S", 0.0)
    assert _backend_pid(engine) != first


def test_a_connection_used_moments_ago_is_not_pinged(pool_of_one: tuple[Engine, str]) -> None:
    """Under load connections come back within milliseconds: no round trip to ping them. A
    connection the server closed meanwhile fails that one use and is replaced."""
    engine, url = pool_of_one
    first = _backend_pid(engine)
    _terminate(url, first)
    with pytest.raises(DBAPIError) as failed:
        _backend_pid(engine)
    assert failed.value.connection_invalidated
    assert _backend_pid(engine) != first


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_single_write_on_postgresql_refuses_a_second_write_before_it_runs(
    engine: Engine, now: datetime
) -> None:
    """There the unit runs in autocommit (its one write is atomic on its own); a second write
    would not be atomic with the first, so it must fail loudly, not half-apply."""
    with pytest.raises(RuntimeError, match="second write"), single_write(engine) as conn:
        assert conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
        _INSERT.inserted_key(conn, _person("a@pitea.example", now))
        _INSERT.inserted_key(conn, _person("b@pitea.example", now))
    with engine.connect() as conn:
        emails = conn.execute(select(_PERSON.c.email)).scalars().all()
    assert emails == ["a@pitea.example"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_single_write_on_sqlite_is_one_transaction(engine: Engine, now: datetime) -> None:
    with pytest.raises(IntegrityError), single_write(engine, lock_patience_s=0.002) as conn:
        _INSERT.inserted_key(conn, _person("a@pitea.example", now))
        _INSERT.inserted_key(conn, {**_person("b@pitea.example", now), "name": None})
    with engine.connect() as conn:
        assert conn.execute(select(_PERSON.c.id)).all() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_single_write_on_sqlite_takes_the_write_lock_only_to_write(
    engine: Engine, now: datetime
) -> None:
    """Its reads go on while another connection holds the lock; its first write waits for
    the lock at most lock_patience_s, then WriteLocked, and nothing is written."""
    with engine.begin() as conn:
        kept = _INSERT.inserted_key(conn, _person("a@pitea.example", now))
    path = engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WriteLocked), single_write(engine, lock_patience_s=0.002) as conn:
            assert _READ.first(conn, {"person_id": kept}) is not None
            _RENAME.rowcount(conn, {"name": "Bo", "match_id": kept})
    finally:
        other.rollback()
        other.close()
    with single_write(engine, lock_patience_s=0.002) as conn:
        assert _RENAME.rowcount(conn, {"name": "Bo", "match_id": kept}) == 1
    with engine.connect() as conn:
        assert conn.execute(select(_PERSON.c.name)).scalars().all() == ["Bo"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_restart_fails_one_unit_with_the_drivers_error_and_the_next_gets_a_new_connection(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    fresh = make_engine(url)
    try:
        # Two pooled connections, both cut off as a database restart would.
        with single_write(fresh) as a, single_write(fresh) as b:
            pids = [_pid(a), _pid(b)]
        for pid in pids:
            _terminate(url, pid)
        with pytest.raises(DBAPIError) as lost, single_write(fresh) as conn:
            _READ.first(conn, {"person_id": 1})
        assert lost.value.connection_invalidated
        # The pool's other connection is not handed out again.
        with single_write(fresh) as conn:
            assert _READ.first(conn, {"person_id": 1}) is None
            assert _pid(conn) not in pids
    finally:
        fresh.dispose()


def _pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_in_memory_engine_is_freed_when_dropped() -> None:
    engine = make_engine("sqlite://")
    gone = weakref.ref(engine)
    del engine
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_hot_pool_plans_generically_and_keeps_the_urls_own_options(db_url: str) -> None:
    """The owner batches' statements would be planned again at every run otherwise; options a
    site gives in the database URL (a search_path, a statement_timeout) hold on both pools."""
    engine = make_engine(f"{db_url}?options=-c%20statement_timeout%3D12345")
    try:
        with engine.connect() as main, tracker.db.reads(engine) as hot:
            shown = "SHOW statement_timeout"
            assert main.execute(text(shown)).scalar() == "12345ms"
            assert hot.execute(text(shown)).scalar() == "12345ms"
            assert hot.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
            assert main.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    finally:
        engine.dispose()
