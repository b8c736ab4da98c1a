"""The unit of work (App.transaction): committed on success, rolled back on an error, and a dry
run does the work and its checks but leaves nothing behind, on both databases."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlmodel import select

from tracker.app import App
from tracker.logs import log_after_commit
from tracker.models import Person


def _add(app: App, now: datetime, email: str, *, dry_run: bool) -> int:
    with app.transaction(dry_run=dry_run) as s:
        person = Person(name="Anna", email=email, role="owner", created_at=now)
        s.add(person)
        s.flush()
        log_after_commit(s.info, logging.getLogger("tracker.test"), "person.added", email=email)
        assert person.id is not None
        return person.id


def test_a_dry_run_checks_the_work_and_keeps_nothing(
    app: App, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tracker.test")
    assert _add(app, now, "prov@pitea.example", dry_run=True) > 0  # the insert did run
    with app.transaction() as s:
        assert s.exec(select(Person).where(Person.email == "prov@pitea.example")).all() == []
    assert "person.added" not in caplog.text  # nothing is reported as done
    _add(app, now, "anna@pitea.example", dry_run=False)
    with app.transaction() as s:
        assert s.exec(select(Person).where(Person.email == "anna@pitea.example")).one()
    assert "person.added" in caplog.text


def test_an_error_in_a_dry_run_is_still_the_error(app: App) -> None:
    with pytest.raises(ValueError), app.transaction(dry_run=True):
        raise ValueError("fel")
