"""`tracker report ...` end to end on a SQLite file: draft, approve (and send), list,
download, verify; and the list as the outbox has the mail, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from config import load_settings
from tests.support import builders as b
from tests.support.schema import create_schema
from tests.support.smtp import SmtpServer
from tests.web.helpers import MovableClock, refuse_for_good, retry_and_deliver
from tracker.app import App, bootstrap
from tracker.cli import cli
from tracker.errors import NotFound
from tracker.models import OutboxMessage, Person, Plan, ReportFile, Role
from tracker.services import actions, plans, reports

NOW = datetime(2018, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A database with one plan, made through the services on 2018-01-10."""
    path = str(tmp_path / "cli.db")
    app: App = bootstrap(load_settings(database_url=f"sqlite:///{path}"))
    create_schema(app.engine)
    with app.transaction() as s:
        chef = Person(
            name="Malin Westling",
            email="malin@pitea.example",
            role=Role.chef.value,
            forvaltning="Utbildningsförvaltningen",
            created_at=NOW,
        )
        s.add(chef)
        plan = plans.create_plan(
            s,
            now=NOW,
            title="Åtgärdsplan för ledningen",
            forvaltning="Utbildningsförvaltningen",
            ort="Piteå",
            report_months="6,12",
            board_recipients="namnd@pitea.example",
        )
        area = plans.ensure_area(s, plan, "Ekonomi")
        action = plans.add_action(s, app.registry, area, now=NOW, text="Ta fram ett upplägg")
        assert action.id is not None
        actions.move(s, app.registry, action.id, "starta", chef, now=NOW, text="Igång.")
    app.engine.dispose()
    return path


def run(database: str, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, ["--database", database, *args])
    return result.exit_code, result.output, result.exception


def test_a_preview_is_written_and_not_stored(database: str, tmp_path: Path) -> None:
    out = tmp_path / "forhands.pdf"
    code, output, _ = run(
        database, "report", "draft", "1", "--as-of", "2018-01-10", "--out", str(out)
    )
    assert code == 0, output
    assert "förhandsvisning, inte sparad" in output
    assert out.read_bytes().startswith(b"%PDF")
    code, output, _ = run(database, "report", "list", "--json")
    assert json.loads(output) == []


def test_draft_approve_list_download_and_verify(database: str, tmp_path: Path) -> None:
    code, output, _ = run(database, "report", "draft", "1", "--as-of", "2018-01-10")
    assert code == 0, output
    assert output.startswith("Utkast 1 sparat: plan 1, läget 2018-01-10.")

    code, output, exc = run(database, "report", "approve", "1", "--as", "nobody@pitea.example")
    assert isinstance(exc, NotFound)

    code, output, _ = run(database, "report", "approve", "1", "--as", "malin@pitea.example")
    assert code == 0, output
    assert "Återrapport nr 1 för plan 1 är godkänd och arkiverad." in output
    assert "Skickas till nämnden: namnd@pitea.example." in output

    code, output, _ = run(database, "report", "list", "--plan", "1", "--json")
    [listed] = json.loads(output)
    assert (listed["number"], listed["state"], listed["as_of"]) == (1, "skickad", "2018-01-10")
    code, output, _ = run(database, "report", "list")
    # Queued to the nämnd, not yet sent: no outbox run has delivered it.
    assert "Godkänd, i utkorgen" in output and "Åtgärdsplan för ledningen" in output

    out = tmp_path / "rapport.docx"
    code, output, _ = run(
        database, "report", "download", "1", "--format", "docx", "--out", str(out)
    )
    assert code == 0, output
    app = bootstrap(load_settings(database_url=f"sqlite:///{database}"))
    with app.transaction() as s:
        stored = s.exec(select(ReportFile).where(ReportFile.format == "docx")).one()
        assert s.exec(select(OutboxMessage)).one().to_addr == "namnd@pitea.example"
    assert hashlib.sha256(out.read_bytes()).hexdigest() == stored.sha256
    assert stored.sha256 in output

    code, output, _ = run(database, "report", "verify", "1")
    assert code == 0, output
    assert output.splitlines() == [
        f"{fmt}: arkivet oförändrat; återskapas likadant" for fmt in ("docx", "html", "pdf")
    ]


def test_verify_after_a_template_change_says_the_archive_is_intact(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later version renders a snapshot differently: the archived files are still what was
    issued, and verify says so rather than calling them wrong."""
    assert run(database, "report", "draft", "1", "--as-of", "2018-01-10")[0] == 0
    assert run(database, "report", "approve", "1", "--as", "malin@pitea.example")[0] == 0
    from tracker.services import reports

    rendered = reports.render
    monkeypatch.setattr(
        reports,
        "render",
        lambda snapshot, formats=reports.FORMATS: {
            f: data + b" " for f, data in rendered(snapshot, formats).items()
        },
    )
    code, output, _ = run(database, "report", "verify", "1")
    assert code == 0, output
    assert output.splitlines()[0] == (
        "docx: arkivet oförändrat; återskapas inte likadant av den här versionen "
        "(mallarna har ändrats sedan)"
    )


def test_a_bad_date_is_explained(database: str) -> None:
    code, output, _ = run(database, "report", "draft", "1", "--as-of", "10/1 2018")
    assert code == 1
    assert "skriv det som ÅÅÅÅ-MM-DD" in output


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "show", "99999999999999999999"],
        ["plan", "export", "9223372036854775808", "--out", "x.csv"],
        ["action", "history", "99999999999999999999"],
        ["action", "list", "--plan", "2147483648"],
        ["report", "verify", "99999999999999999999"],
        ["outbox", "retry", "99999999999999999999"],
        ["person", "link", "malin@pitea.example", "--action", "99999999999999999999"],
    ],
)
def test_an_id_no_row_can_have_is_refused_without_a_traceback(
    database: str, args: list[str]
) -> None:
    code, output, exception = run(database, *args)
    assert code == 2, output
    assert exception is None or isinstance(exception, SystemExit)
    assert "2147483647" in output  # the bound, not an unknown command
    assert "Traceback" not in output


def _queued_to_the_namnd(app: App, chef: Person, clock: MovableClock) -> int:
    """A plan's first återrapport, approved and queued to its two recipients in the nämnd."""
    made, area = b.plan(app, now=clock())
    b.action(app, area, "Ta fram ett upplägg", now=clock(), owner=None)
    with app.transaction() as s:
        plan = s.get(Plan, made.id)
        assert plan is not None and plan.id is not None
        plan.board_recipients = "namnd@pitea.example, sekreterare@pitea.example"
        draft = reports.draft_report(
            s, app.registry, plan.id, as_of=clock().date(), now=clock(), tz=app.tz, draft_days=14
        )
        assert draft.id is not None
        reports.approve_report(s, app.registry, draft.id, chef, now=clock(), tz=app.tz)
        reports.send_report(s, app.registry, draft.id, now=clock(), settings=app.settings)
        return draft.id


def test_report_list_calls_a_report_sent_only_once_the_outbox_delivered_it(
    app: App, chef: Person, now: datetime, smtp_server: SmtpServer
) -> None:
    clock = MovableClock(now)
    report_id = _queued_to_the_namnd(app, chef, clock)

    def listed() -> tuple[str, str, dict[str, object]]:
        """The table's Läge and Skickad, and the JSON's fields about the sending."""
        code, output, _ = run(app.settings.database_url, "report", "list")
        assert code == 0, output
        header, row = output.splitlines()
        state = row[header.index("Läge") : header.index("Per datum")].strip()
        sent = row[header.index("Skickad") :].strip()
        code, output, _ = run(app.settings.database_url, "report", "list", "--json")
        [item] = json.loads(output)
        assert (item["id"], item["state"]) == (report_id, "skickad")  # the workflow's, kept
        assert item["sent_at"] == "2018-01-10T09:00:00+00:00"  # when it was queued
        keys = ("state_label", "delivery_status", "delivered_at")
        return state, sent, {k: item[k] for k in keys}

    assert listed() == (
        "Godkänd, i utkorgen",
        "–",
        {"state_label": "Godkänd, i utkorgen", "delivery_status": "waiting", "delivered_at": None},
    )
    refuse_for_good(app, smtp_server, clock, "sekreterare@pitea.example")
    assert listed() == (
        "Godkänd, utskicket misslyckades",
        "–",
        {
            "state_label": "Godkänd, utskicket misslyckades",
            "delivery_status": "failed",
            "delivered_at": None,
        },
    )
    retry_and_deliver(app, smtp_server, clock, "sekreterare@pitea.example")
    assert listed() == (
        "Skickad",
        "2018-01-10 10:15",
        {
            "state_label": "Skickad",
            "delivery_status": "delivered",
            "delivered_at": "2018-01-10T09:15:00+00:00",
        },
    )
