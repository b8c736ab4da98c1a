"""tracker.db.Prepared: statements a hot path runs on the driver's cursor behave as if run
through SQLAlchemy (same SQL, converted values, SQLAlchemy's errors), on each backend."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from tracker.db import Prepared
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
