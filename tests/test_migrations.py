"""The Alembic migrations build exactly the schema the models describe, on both backends, and
upgrading from the first release keeps every row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from tests.support.schema import create_schema
from tracker.backup import backup, restore
from tracker.db import make_engine
from tracker.migrate import downgrade, revisions, upgrade

FIRST_RELEASE = "0001"
TABLES = ("person", "plan", "area", "action")


@pytest.fixture
def empty_engine(db_url: str) -> Engine:
    """The test database with no tables at all: migrations start from nothing."""
    engine = make_engine(db_url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    return engine


@pytest.fixture(autouse=True)
def _restore_schema(db_url: str):  # type: ignore[no-untyped-def]
    yield
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    # As the other tests find it (tests/support/schema.py).
    create_schema(engine)
    engine.dispose()


def test_migrations_build_the_schema_the_models_describe(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


@dataclass(frozen=True)
class FirstRelease:
    columns: dict[str, list[str]]
    rows: dict[str, list[tuple[object, ...]]]


@pytest.fixture
def first_release(empty_engine: Engine) -> FirstRelease:
    """The first release's schema with a row in each main table: its columns and its rows."""
    upgrade(empty_engine, FIRST_RELEASE)
    _first_release_rows(empty_engine)
    columns = {t: [c["name"] for c in inspect(empty_engine).get_columns(t)] for t in TABLES}
    return FirstRelease(columns, _dump(empty_engine, columns))


def test_upgrade_from_the_first_release_keeps_every_row(
    empty_engine: Engine, first_release: FirstRelease
) -> None:
    upgrade(empty_engine)
    assert _dump(empty_engine, first_release.columns) == first_release.rows
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT login_link_used_at FROM person")).all() == [(None,)]


def test_downgrading_to_the_first_release_keeps_every_row(
    empty_engine: Engine, first_release: FirstRelease
) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, FIRST_RELEASE)
    assert _dump(empty_engine, first_release.columns) == first_release.rows
    assert "login_link_used_at" not in {
        c["name"] for c in inspect(empty_engine).get_columns("person")
    }


def _first_release_rows(engine: Engine) -> None:
    """A person, a plan, an area and an åtgärd, written in the first release's columns."""
    now = datetime(2018, 1, 10, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, name, email, role, forvaltning, created_at) "
                "VALUES (1, 'Anna Öberg', 'anna@pitea.example', 'owner', 'Utbildning', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO plan (id, title, forvaltning, namnd, background, dnr, ort, "
                "signatory_name, signatory_title, report_months, board_recipients, created_at) "
                "VALUES (1, 'Åtgärdsplan', 'Utbildning', 'BUN', 'Bakgrund', 'Dnr 1', 'Piteå', "
                "'Malin', 'förvaltningschef', '6,12', '', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO area (id, plan_id, title, position, section) "
                "VALUES (1, 1, 'Område', 1, '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO action (id, plan_id, area_id, position, text, owner_id, workflow, "
                "state, tidsplan, progress_note, expected_effect, follow_up, target_group, "
                "version, updated_at) VALUES (1, 1, 1, 1, 'Åtgärd', 1, 'atgard', 'pagar', "
                "'Klart till mars 2018.', 'Pågår', '', '', '', 2, :now)"
            ),
            {"now": now},
        )


def test_the_backup_taken_before_an_upgrade_restores_over_the_upgraded_database(
    empty_engine: Engine, first_release: FirstRelease, tmp_path: Path
) -> None:
    """Going back after an upgrade (docs/deploy.md): the copy taken before it replaces the
    upgraded database whole, tables the upgrade added included, and the upgrade runs again."""
    upgrade(empty_engine, "0026")
    copy = tmp_path / "fore-uppgradering.dump"
    backup(empty_engine, copy)
    # 0028 adds a table that refers to one in the copy: PostgreSQL would not drop that one.
    upgrade(empty_engine)

    restore(empty_engine, copy)
    assert revisions(empty_engine)[0] == "0026"
    assert not inspect(empty_engine).has_table("outbox_control_point")
    assert _dump(empty_engine, first_release.columns) == first_release.rows
    upgrade(empty_engine)
    assert revisions(empty_engine)[0] == revisions(empty_engine)[1]
    assert _dump(empty_engine, first_release.columns) == first_release.rows


def test_every_migration_downgrades_cleanly(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}


def _dump(engine: Engine, columns: dict[str, list[str]]) -> dict[str, list[tuple[object, ...]]]:
    """The rows of the main tables, in the given columns."""
    with engine.connect() as conn:
        return {
            t: sorted(tuple(r) for r in conn.execute(text(f'SELECT {", ".join(cols)} FROM "{t}"')))
            for t, cols in columns.items()
        }


def test_a_copy_made_before_the_source_was_recorded_finds_it_by_its_file_name(
    empty_engine: Engine,
) -> None:
    """A copy recorded its source only as "kopia av <title>": the upgrade links it to that
    plan of the same nämnd, so its follow-up reports the deviations still open there."""
    upgrade(empty_engine, "0026")
    now = datetime(2025, 12, 1, tzinfo=UTC)
    rows = [
        (1, "BUN", 2025, "Internkontrollplan 2025 – BUN", "ik.csv"),
        (2, "BUN", 2026, "Internkontrollplan 2026 – BUN", "kopia av Internkontrollplan 2025 – BUN"),
        (3, "SN", 2026, "Internkontrollplan 2026 – SN", "kopia av Internkontrollplan 2025 – BUN"),
        (4, "BUN", 2027, "Internkontrollplan 2027 – BUN", "ik-2027.csv"),
    ]
    with empty_engine.begin() as conn:
        for id_, namnd, year, title, filename in rows:
            conn.execute(
                text(
                    "INSERT INTO control_plan (id, namnd, year, forvaltning, title, filename, "
                    "risk_scale_json, created_at) VALUES (:id, :namnd, :year, '', :title, "
                    ":filename, '', :now)"
                ),
                {
                    "id": id_,
                    "namnd": namnd,
                    "year": year,
                    "title": title,
                    "filename": filename,
                    "now": now,
                },
            )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        found = conn.execute(text("SELECT id, copied_from_id FROM control_plan ORDER BY id")).all()
    assert [tuple(r) for r in found] == [(1, None), (2, 1), (3, None), (4, None)]
