from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from tests.support.schema import create_schema
from tracker.app import App
from tracker.backup import backup, restore
from tracker.cli import cli
from tracker.db import make_engine
from tracker.errors import TrackerError
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


def _database_with_the_schema(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    return engine


def test_a_backup_of_a_database_file_that_does_not_exist_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    # What `tracker db backup` run without the service's environment reads: the default
    # sqlite:///var/tracker.db in the directory it happens to be run in.
    missing = tmp_path / "var" / "tracker.db"
    target = tmp_path / "backup" / "fore-uppgradering.dump"
    with pytest.raises(TrackerError, match=r"Databasfilen .*tracker\.db finns inte"):
        backup(make_engine(f"sqlite:///{missing}"), target)
    assert not missing.exists()
    assert not target.exists()


def test_a_backup_of_a_database_without_the_products_tables_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "tom.db"
    empty.touch()
    target = tmp_path / "kopia.dump"
    with pytest.raises(TrackerError, match="saknar produktens tabeller"):
        backup(make_engine(f"sqlite:///{empty}"), target)
    assert not target.exists()


def test_a_restore_from_a_copy_without_the_products_tables_is_refused_and_changes_nothing(
    tmp_path: Path, now: datetime
) -> None:
    engine = _database_with_the_schema(tmp_path / "tracker.db")
    with Session(engine) as s, s.begin():
        people.ensure_person(s, "anna@pitea.example", now=now, name="Anna Öberg")
    before = _all_rows(engine)
    empty_copy = tmp_path / "tom.dump"
    sqlite3.connect(empty_copy).close()
    with pytest.raises(TrackerError, match="saknar produktens tabeller"):
        restore(engine, empty_copy)
    assert _all_rows(engine) == before


def test_a_restore_from_a_file_that_is_no_sqlite_database_is_refused_in_swedish(
    tmp_path: Path,
) -> None:
    engine = _database_with_the_schema(tmp_path / "tracker.db")
    not_a_copy = tmp_path / "anteckningar.txt"
    not_a_copy.write_text("inte en databas", encoding="utf-8")
    with pytest.raises(TrackerError, match="är ingen säkerhetskopia av en SQLite-databas"):
        restore(engine, not_a_copy)


def test_the_backup_command_gives_the_size_with_swedish_digit_grouping(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.db"
    _database_with_the_schema(db).dispose()
    target = tmp_path / "kopia.dump"
    result = CliRunner().invoke(cli, ["--database", str(db), "db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    size = f"{target.stat().st_size:,}".replace(",", " ")
    assert f"({size} byte)" in result.output
