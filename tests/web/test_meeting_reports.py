"""A nämnd's calendar shows the återrapporter due at each meeting, by the schedule's rule for
which meeting a plan's report goes to, each labelled as the report's own pages label it and
linked to it; a draft only for those who may change its plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.models import Meeting, OutboxMessage, OutboxReport, Plan, Role
from tracker.services import meetings, people, plans, reports

BUN = "Barn- och utbildningsnämnden"
PLAN = "Åtgärdsplan efter granskning av ekonomiskt bistånd"


@pytest.fixture
def bun(app: App, world: World, clock: MovableClock) -> dict[date, int]:
    """The plan reports to BUN in February and June; BUN meets in February, March and June.
    Another plan of BUN's, in another förvaltning, reports in June."""
    with app.transaction() as s:
        plan = s.get_one(Plan, world.plan_id)
        plan.namnd, plan.report_months = BUN, "2,6"
        plan.board_recipients = "namnden@pitea.example"
        s.add(plan)
        plans.create_plan(
            s,
            now=clock(),
            title="Åtgärdsplan för fritidsgårdarna",
            forvaltning="Kultur- och fritidsförvaltningen",
            namnd=BUN,
            report_months="6",
        )
        rows = [
            MeetingRow(board=BUN, held_on=day, uid=f"bun-{day.isoformat()}@pitea.example")
            for day in (date(2018, 2, 28), date(2018, 3, 28), date(2018, 6, 14))
        ]
        meetings.import_meetings(s, rows, lead_days=14, now=clock())
        return {m.held_on: m.id for m in s.exec(select(Meeting)) if m.id is not None}


def _issue_and_send(app: App, world: World, clock: MovableClock) -> int:
    with app.transaction() as s:
        report = reports.draft_report(
            s, app.registry, world.plan_id, as_of=clock().date(), now=clock(), tz=app.tz,
            draft_days=14,
        )  # fmt: skip
        assert report.id is not None
        reports.approve_report(s, app.registry, report.id, world.chef, now=clock(), tz=app.tz)
        reports.send_report(s, app.registry, report.id, now=clock(), settings=app.settings)
        return report.id


def _row(html: str, day: date) -> str:
    return next(
        row for row in html.split("<tr>") if f">{day.isoformat()}</a>" in row.split("</th>")[0]
    )


def test_each_meeting_lists_the_reports_due_at_it_with_their_state_and_link(
    client: TestClient, app: App, world: World, clock: MovableClock, bun: dict[date, int]
) -> None:
    log_in(client, app, world.chef, clock())
    # Nothing made yet: the February meeting says when the draft is due, March has none.
    listing = client.get("/sammantraden", params={"ar": "2018"}).text
    feb = text_of(_row(listing, date(2018, 2, 28)))
    assert f"{PLAN} : inget utkast ännu; utkastet görs" in feb
    assert "godkänns senast 2018-02-14" in feb
    assert PLAN not in text_of(_row(listing, date(2018, 3, 28)))
    assert PLAN in text_of(_row(listing, date(2018, 6, 14)))
    # The chef reads only her own förvaltning's plan.
    assert "fritidsgårdarna" not in listing

    report_id = _issue_and_send(app, world, clock)
    listing = client.get("/sammantraden", params={"ar": "2018"}).text
    feb_row = _row(listing, date(2018, 2, 28))
    assert f'<a href="/aterrapporter/{report_id}">Återrapport nr 1</a>' in feb_row
    assert '<span class="badge report-skickad">Godkänd, i utkorgen</span>' in feb_row
    assert f'<a href="/planer/{world.plan_id}/aterrapporter">{PLAN}</a>' in feb_row
    # The issued report is February's only: June's is still to be made.
    assert "Återrapport nr 1" not in _row(listing, date(2018, 6, 14))

    page = client.get(f"/sammantraden/{bun[date(2018, 2, 28)]}")
    assert page.status_code == 200
    shown = text_of(page.text.split('id="aterrapporter"')[1].split("</section>")[0])
    assert f"{PLAN} : Återrapport nr 1 Godkänd, i utkorgen" in shown
    assert "Skickad till nämnden: Inte ännu: 1 av 1 brev väntar i utkorgen sedan" in shown
    assert f'href="/aterrapporter/{report_id}"' in page.text


def test_a_cancelled_meetings_report_is_listed_at_the_next_meeting(
    client: TestClient, app: App, world: World, clock: MovableClock, bun: dict[date, int]
) -> None:
    with app.transaction() as s:
        meetings.cancel_meeting(s, s.get_one(Meeting, bun[date(2018, 2, 28)]))
    log_in(client, app, world.chef, clock())
    listing = client.get("/sammantraden", params={"ar": "2018"}).text
    assert PLAN not in _row(listing, date(2018, 2, 28))
    march = text_of(_row(listing, date(2018, 3, 28)))
    assert f"{PLAN} (från det inställda sammanträdet 2018-02-28) : inget utkast ännu" in march
    cancelled = text_of(client.get(f"/sammantraden/{bun[date(2018, 2, 28)]}").text)
    assert "Sammanträdet är inställt. En återrapport som skulle hit går till nämndens" in (
        cancelled
    )


def test_a_draft_is_shown_to_the_plans_chef_and_not_to_the_namnds_reader(
    client: TestClient, app: App, world: World, clock: MovableClock, bun: dict[date, int]
) -> None:
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, world.plan_id, as_of=clock().date(), now=clock(), tz=app.tz,
            draft_days=14,
        )  # fmt: skip
        reader = people.ensure_person(
            s,
            "sekreterare@pitea.example",
            now=clock(),
            name="Nämndens sekreterare",
            role=Role.board,
            forvaltning=world.chef.forvaltning,
        )
    feb = f"/sammantraden/{bun[date(2018, 2, 28)]}"
    log_in(client, app, world.chef, clock())
    chef_sees = client.get(feb).text
    assert f'<a href="/aterrapporter/{draft.id}">Utkast</a>' in chef_sees
    assert '<span class="badge report-utkast">Utkast</span>' in chef_sees
    client.cookies.clear()
    log_in(client, app, reader, clock())
    reader_sees = client.get(feb).text
    assert f"/aterrapporter/{draft.id}" not in reader_sees
    assert f"{PLAN} : ingen godkänd återrapport ännu" in text_of(reader_sees)


def test_the_mail_to_the_namnd_names_the_meeting_the_report_is_for(
    app: App, world: World, clock: MovableClock, bun: dict[date, int]
) -> None:
    """The secretary files each återrapport under a meeting's handlingar: the mail says
    which, and a moved meeting is named at its new date."""
    with app.transaction() as s:
        meetings.change_meeting(
            s, s.get_one(Meeting, bun[date(2018, 2, 28)]), held_on=date(2018, 3, 7)
        )
    report_id = _issue_and_send(app, world, clock)
    with app.transaction() as s:
        [message] = s.exec(
            select(OutboxMessage)
            .join(OutboxReport, col(OutboxReport.message_id) == col(OutboxMessage.id))
            .where(OutboxReport.report_id == report_id)
        ).all()
    line = f"Återrapporten går till {BUN} den 7 mars 2018."
    assert line in message.body_text
    assert line in message.body_html


def test_the_mail_to_a_namnd_without_a_calendar_names_no_meeting(
    app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        plan = s.get_one(Plan, world.plan_id)
        plan.namnd, plan.report_months = BUN, "2,6"
        plan.board_recipients = "namnden@pitea.example"
        s.add(plan)
    report_id = _issue_and_send(app, world, clock)
    with app.transaction() as s:
        [message] = s.exec(
            select(OutboxMessage)
            .join(OutboxReport, col(OutboxReport.message_id) == col(OutboxMessage.id))
            .where(OutboxReport.report_id == report_id)
        ).all()
    assert "sammanträde" not in message.body_text


def test_a_namnd_members_start_page_has_the_latest_reports_and_the_meetings_not_the_deadlines(
    client: TestClient, app: App, world: World, clock: MovableClock, bun: dict[date, int]
) -> None:
    report_id = _issue_and_send(app, world, clock)
    clock.now += timedelta(days=1)
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, world.plan_id, as_of=clock().date(), now=clock(), tz=app.tz,
            draft_days=14,
        )  # fmt: skip
        reader = people.ensure_person(
            s,
            "ledamot@pitea.example",
            now=clock(),
            name="Nämndens ledamot",
            role=Role.board,
            forvaltning=world.chef.forvaltning,
        )
    log_in(client, app, reader, clock())
    start = client.get("/start").text
    latest = start.split('id="latest-reports"')[1].split("</section>")[0]
    assert f'<a href="/aterrapporter/{report_id}">Nr 1</a>' in latest
    assert f'href="/aterrapporter/{report_id}/dokument.pdf"' in latest
    assert f"/aterrapporter/{draft.id}" not in start
    coming = text_of(start.split('id="coming-reports"')[1].split("</section>")[0])
    assert f"{PLAN} {BUN} 2018-06-14" in coming
    assert "Godkänn senast" not in coming and "Inte uppdaterade" not in coming
    # The chef's start page keeps the förvaltning's deadlines, and has no list of the latest.
    client.cookies.clear()
    log_in(client, app, world.chef, clock())
    start = client.get("/start").text
    assert 'id="latest-reports"' not in start
    assert "Godkänn senast" in text_of(start.split('id="coming-reports"')[1])
