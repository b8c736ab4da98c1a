"""`tracker plan set` and `tracker plan import --as-of`, as the README's tour uses them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import time_machine
from sqlmodel import select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.models import ActionEvent, Plan
from tracker.services import plan_settings, plans, reports

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"
TODAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def tracker(db_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def the_plan(app: App) -> Plan:
    with app.transaction() as s:
        [plan] = s.exec(select(Plan)).all()
        return plan


@time_machine.travel(TODAY, tick=False)
def test_plan_set_changes_what_is_given_and_records_it(app: App, db_url: str) -> None:
    tracker(db_url, "plan", "import", str(EXAMPLE))
    plan = the_plan(app)
    out = tracker(
        db_url,
        "plan",
        "set",
        str(plan.id),
        "--dnr",
        "BUN 2017/55",
        "--add-recipient",
        "namnd@pitea.example",
        "--add-recipient",
        "ordf@pitea.example",
    )
    assert out.splitlines() == [
        "Dnr: (tomt) → 'BUN 2017/55'",
        "Mottagare i nämnden: läggs till namnd@pitea.example, ordf@pitea.example",
    ]
    out = tracker(db_url, "plan", "set", str(plan.id), "--remove-recipient", "NAMND@pitea.example")
    assert out == "Mottagare i nämnden: tas bort namnd@pitea.example\n"
    assert tracker(db_url, "plan", "set", str(plan.id), "--dnr", "BUN 2017/55") == (
        "Inget ändrades.\n"
    )
    refused = tracker(
        db_url, "plan", "set", str(plan.id), "--report-months", "13", "--add-recipient", "x", code=1
    )
    assert "Återrapportmånader: '13' är inget månadsnummer (1–12)." in refused
    refused = tracker(db_url, "plan", "set", str(plan.id), "--ort", "Piteå " * 50, code=1)
    assert "Ort: för lång text, högst 200 tecken." in refused
    plan = the_plan(app)
    assert (plan.dnr, plan.board_recipients, plan.namnd) == (
        "BUN 2017/55",
        "ordf@pitea.example",
        "Barn- och utbildningsnämnden",
    )
    with app.transaction() as s:
        assert plan.id is not None
        labels = {e.actor_label for e in plan_settings.history(s, plan.id)}
    assert labels == {"kommandoraden"}


@time_machine.travel(TODAY, tick=False)
def test_an_import_as_of_an_earlier_date_lets_a_report_be_compiled_for_that_date(
    app: App, db_url: str
) -> None:
    out = tracker(db_url, "plan", "import", str(EXAMPLE), "--as-of", "2020-09-01")
    assert "Åtgärder: 11 nya" in out
    plan = the_plan(app)
    with app.transaction() as s:
        times = {e.at for e in s.exec(select(ActionEvent)).all()}
        assert times == {datetime(2020, 8, 31, 22, 0, tzinfo=UTC)}  # 00:00 in Stockholm
        assert plan.id is not None
        snapshot = reports.build_snapshot(
            s,
            app.registry,
            plan.id,
            as_of=date(2020, 9, 1),
            now=TODAY,
            tz=app.tz,
            draft_days=14,
        )
    rows = [a for area in snapshot.areas for a in area.actions]
    assert len(rows) == 11
    assert {a.note_on for a in rows if a.note} == {date(2020, 9, 1)}

    refused = tracker(db_url, "plan", "import", str(EXAMPLE), "--as-of", "2026-12-08", code=1)
    assert "Läget per kan inte vara ett datum efter i dag." in refused


@time_machine.travel(TODAY, tick=False)
def test_plan_set_records_the_boards_decision_with_its_paragraph_written_one_way(
    app: App, db_url: str
) -> None:
    tracker(db_url, "plan", "import", str(EXAMPLE))
    plan_id = str(the_plan(app).id)
    out = tracker(
        db_url, "plan", "set", plan_id, "--beslutsdatum", "2017-06-14", "--paragraf", "§45"
    )
    assert out.splitlines() == ["Beslutsdatum: (tomt) → '2017-06-14'", "Paragraf: (tomt) → '§ 45'"]
    assert tracker(db_url, "plan", "set", plan_id, "--paragraf", " 45 ") == "Inget ändrades.\n"
    refused = tracker(
        db_url, "plan", "set", plan_id, "--beslutsdatum", "juni 2017", "--paragraf", "45 b", code=1
    )
    assert "Beslutsdatum: ska vara ett datum som 2017-06-14 (fick 'juni 2017')." in refused
    assert "Paragraf: ska vara en paragraf som § 45 (fick '45 b')." in refused
    refused = tracker(db_url, "plan", "set", plan_id, "--beslutsdatum", "2017-06-31", code=1)
    assert "Beslutsdatum: '2017-06-31' är inget giltigt datum." in refused
    plan = the_plan(app)
    assert (plan.decision_on, plan.decision_paragraph) == (date(2017, 6, 14), "§ 45")
    out = tracker(db_url, "plan", "set", plan_id, "--beslutsdatum", "", "--paragraf", "")
    assert out.splitlines() == ["Beslutsdatum: '2017-06-14' → (tomt)", "Paragraf: '§ 45' → (tomt)"]
    assert (the_plan(app).decision_on, the_plan(app).decision_paragraph) == (None, "")


@time_machine.travel(TODAY, tick=False)
def test_plan_list_counts_decisions_from_a_protokoll_in_their_own_states(
    app: App, db_url: str
) -> None:
    tracker(db_url, "plan", "import", str(EXAMPLE))
    with app.transaction() as s:
        plan = plans.create_plan(s, now=TODAY, title="Ledningsgruppen 2021")
        area = plans.ensure_area(s, plan, "Ledningsgruppen 2021-02-09")
        for text, state in [("Tony stämmer av", None), ("Tabell skickas", "aterrapporterad")]:
            plans.add_action(
                s, app.registry, area, now=TODAY, text=text, workflow="protokoll", state=state
            )
    header, _, decisions = [
        line.split("  ") for line in tracker(db_url, "plan", "list").splitlines()
    ]
    columns = [c.strip() for c in header if c.strip()]
    assert columns[4:] == [
        "Ej påbörjat",
        "Pågår",
        "Klar",
        "Tilldelad",
        "Återrapporterad",
        "Försenade",
    ]
    cells = [c.strip() for c in decisions if c.strip()]
    assert cells[2:] == ["2", "0", "0", "0", "1", "1", "0"]
