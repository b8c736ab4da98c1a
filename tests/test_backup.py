from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from tracker.app import App
from tracker.backup import backup, restore
from tracker.models import Person
from tracker.services import actions, people, plans


def _all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)))
            for t in SQLModel.metadata.sorted_tables
        }


def test_restore_gives_back_every_row_as_it_was(
    app: App, now: datetime, chef: Person, tmp_path: Path
) -> None:
    with app.transaction() as s:
        plan = plans.create_plan(
            s,
            now=now,
            title="Plan",
            forvaltning=chef.forvaltning,
            background="Bakgrund med å, ä och ö",
        )
        area = plans.ensure_area(s, plan, "Område")
        owner = people.ensure_person(s, "anna@pitea.example", now=now, name="Anna Öberg")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text="Åtgärd",
            owner=owner,
            due_on=date(2018, 3, 31),
            tidsplan="Klart till mars 2018.",
        )
        assert action.id is not None
        actions.move(s, app.registry, action.id, "starta", owner, now=now, text="Igång")
    before = _all_rows(app.engine)
    assert sum(len(rows) for rows in before.values()) >= 6

    target = tmp_path / "backup.bin"
    backup(app.engine, target)
    with app.transaction() as s:
        assert action.id is not None
        actions.note_progress(s, action.id, owner, "Efter säkerhetskopian", now=now)
        people.ensure_person(s, "ny@pitea.example", now=now)
    assert _all_rows(app.engine) != before

    restore(app.engine, target)
    assert _all_rows(app.engine) == before
