"""`tracker demo`: what a newcomer gets from `make run`, whatever the day, and how the other
commands find the running demo."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from config import load_settings
from config.settings import CONFIG_FILE_ENV
from tests.web.helpers import path_of, text_of
from tracker.app import bootstrap
from tracker.cli import cli
from tracker.cli.demo import DemoOptions, DemoSetup, set_up_demo
from tracker.domain.report import compose
from tracker.models import OutboxMessage
from tracker.services import meetings, plan_settings, plans, reports
from tracker.web.main import create_app

EXAMPLE = Path(__file__).parents[1] / "examples" / "pitea-2018.csv"
SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
JULDAGEN = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # a Friday; the 24th is julafton
OWNER = "karin.lindstrom@pitea.example"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory, where the CLI looks for its default settings file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_FILE_ENV)
    return tmp_path


def set_up(now: datetime, port: int = 8000) -> DemoSetup:
    options = DemoOptions(database=Path("var/demo.db"), plan_file=EXAMPLE, port=port)
    return set_up_demo(options, now=now)


def outbox_size(setup: DemoSetup) -> int:
    with setup.app.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_on_a_saturday_the_demo_sweeps_as_of_friday_and_says_why(here: Path) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        result = CliRunner().invoke(cli, ["demo", "--plan", str(EXAMPLE), "--no-serve"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Lördag 12 december 2026 är ingen arbetsdag." in out
    assert "som de gick ut fredag 11 december 2026, den senaste arbetsdagen" in out
    sent = re.search(r"Påminnelser: (\d+) e-postbrev lagda i utkorgen", out)
    assert sent and int(sent.group(1)) > 0, out


def test_the_demo_starts_from_any_directory_and_a_missing_plan_is_said_in_swedish(
    here: Path,
) -> None:
    # `here` is a fresh directory, not the source tree: the example plan is found anyway.
    with time_machine.travel(JULDAGEN, tick=False):
        result = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Piteås plan 2018" in result.output
    missing = CliRunner().invoke(cli, ["demo", "--plan", "finns-inte.csv", "--no-serve"])
    assert missing.exit_code == 2
    assert "'finns-inte.csv' finns inte" in " ".join(missing.output.split())
    assert "Traceback" not in missing.output


def test_on_a_public_holiday_the_demo_sweeps_as_of_the_last_working_day(here: Path) -> None:
    setup = set_up(JULDAGEN)
    # The 24th is julafton, no working day either.
    assert setup.sweep.today == date(2026, 12, 23)
    assert setup.sweep.digests and outbox_size(setup) == len(setup.sweep.digests)
    assert setup.closed_note is not None
    assert setup.closed_note.startswith("Fredag 25 december 2026 är en helgdag (Juldagen).")
    assert "onsdag 23 december 2026" in setup.closed_note


def test_on_a_working_day_the_demo_sweeps_today_and_a_restart_sends_nothing_twice(
    here: Path,
) -> None:
    monday = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    first = set_up(monday)
    assert first.closed_note is None and first.sweep.today == date(2026, 12, 14)
    again = set_up(monday)
    assert again.sweep.digests == [] and outbox_size(again) == len(first.sweep.digests)


def test_the_tour_s_person_link_opens_on_the_demo_s_port_with_the_demo_s_key(here: Path) -> None:
    setup = set_up(SATURDAY, port=8123)
    assert setup.settings_file == Path("tracker.toml")
    with time_machine.travel(SATURDAY, tick=False):
        result = CliRunner().invoke(cli, ["person", "link", OWNER])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert (urlsplit(link).hostname, urlsplit(link).port) == ("127.0.0.1", 8123)
    demo_settings = load_settings(here / "tracker.toml")
    assert demo_settings.secret_key == setup.app.settings.secret_key
    web = create_app(bootstrap(demo_settings), clock=lambda: SATURDAY, dev_mail_receiver=False)
    with TestClient(web) as client:
        page = client.get(path_of(link))
    assert page.status_code == 200
    assert "Karin Lindström" in text_of(page.text)


def test_a_settings_file_the_demo_did_not_write_is_left_alone(here: Path) -> None:
    own = "[tracker]\nreminder_hour = 6\n"
    (here / "tracker.toml").write_text(own, encoding="utf-8")
    setup = set_up(SATURDAY)
    assert (here / "tracker.toml").read_text(encoding="utf-8") == own
    assert setup.settings_file == Path("var/demo.toml")
    assert load_settings(setup.settings_file).database_url == setup.app.settings.database_url


def test_the_demo_has_the_boards_meetings_for_2018_and_the_decision_its_plan_answers_to(
    here: Path,
) -> None:
    setup = set_up(SATURDAY)
    with setup.app.transaction() as s:
        plan = plans.get_plan(s, setup.seeded.plan_id)
        held = meetings.list_meetings(s, board=plan.namnd, year=2018)
        all_meetings = meetings.list_meetings(s)
        snapshot = reports.build_snapshot(
            s,
            setup.app.registry,
            setup.seeded.plan_id,
            as_of=date(2018, 1, 10),
            now=SATURDAY,
            tz=setup.app.tz,
            draft_days=14,
        )
    assert plan.namnd == "Barn- och utbildningsnämnden"
    assert (plan.decision_on, plan.decision_paragraph) == (date(2017, 6, 14), "§ 45")
    assert plan.report_month_numbers() == [6, 12]
    assert len(held) == 10
    # Carried forward on the same weekday of the same week up to next year, so that the
    # demo, run on any day, has an återrapport to come.
    assert len(all_meetings) == 10 * len(range(2018, 2028))
    assert date(2027, 6, 16) in {m.held_on for m in all_meetings}
    assert [m.held_on.month for m in held] == [1, 2, 3, 4, 6, 8, 9, 10, 11, 12]
    assert {m.held_on.isoweekday() for m in held} == {3}
    assert {(m.lead_days, m.status) for m in held} == {(21, "planerad")}
    assert compose(snapshot).decision_line == (
        "Återrapport enligt beslut Barn- och utbildningsnämnden 2017-06-14 § 45"
    )
    again = set_up(SATURDAY)
    assert again.seeded.meetings is not None and again.seeded.meetings.unchanged == 100
    with again.app.transaction() as s:
        assert len(meetings.list_meetings(s)) == 100
        changed = sorted((e.field, e.new) for e in plan_settings.history(s, setup.seeded.plan_id))
    # Set once, in the plan's history like any change, and not again by the restart.
    assert changed == [("decision_on", "2017-06-14"), ("decision_paragraph", "§ 45")]


def test_the_demo_says_where_the_meetings_are(here: Path) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        result = CliRunner().invoke(cli, ["demo", "--plan", str(EXAMPLE), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert (
        "Sammanträden: 100 sammanträden för Barn- och utbildningsnämnden (2018 års plan, och "
        "samma veckor varje år till och med nästa år; ledtid 21 dagar), "
        "http://127.0.0.1:8000/sammantraden"
    ) in result.output


def test_the_demo_chef_s_start_page_shows_the_next_reports_deadlines(here: Path) -> None:
    setup = set_up(SATURDAY)
    web = create_app(bootstrap(setup.app.settings), clock=lambda: SATURDAY, dev_mail_receiver=False)
    with TestClient(web) as client:
        page = client.get(path_of(setup.login_link))
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert action and token
        client.post(action.group(1), data={"csrf": token.group(1)})
        start = text_of(client.get("/start").text)
    # December 2026's report was due at the secretary on 18 November; the next one is June
    # 2027's, at the meeting in the same week as 13 June 2018.
    assert "Kommande återrapporter" in start
    assert "Barn- och utbildningsnämnden 2027-06-16 2027-05-20 2027-05-21 2027-05-26" in start


def test_the_demo_has_this_year_s_internkontrollplan_with_the_coming_controls(
    here: Path,
) -> None:
    from sqlmodel import select as select_rows

    from tracker.models import Action, ControlPlan

    setup = set_up(datetime(2026, 3, 17, 7, 30, tzinfo=UTC))
    with setup.app.transaction() as s:
        plan = s.exec(select_rows(ControlPlan)).one()
        controls = s.exec(select_rows(Action).where(Action.workflow == "kontroll")).all()
    assert (plan.year, plan.namnd) == (2026, "Barn- och utbildningsnämnden")
    # From 17 March: the controls due by the end of March (monthly, quarterly, "mars och
    # oktober"), none from before the plan came in.
    assert controls and all(c.due_on and c.due_on.month == 3 for c in controls)
    assert len(setup.sweep.controls) == len(controls)
