"""A whole year, day by day, driven by the nämnd's sammanträdesplan.

Barn- och utbildningsnämnden meets ten times in 2018 (none in July); on 7 May the June
meeting moves a week, on 17 September the October meeting is cancelled. Two plans report at
different meetings: one in June and December, one in April and October. Anna updates on
time, Bo late, Cecilia never; David's åtgärd is late and its escalation is never
acknowledged, so it climbs to the förvaltningschef and the kommundirektör and stops. The
scheduler's jobs run each morning (reminders, återrapport drafts, the outbox) against a real
SMTP server; the chef approves each draft the working day before the secretary's deadline.
Every mail is asserted: who, which day, what.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.domain.clock import local_date
from tracker.domain.meetings import MeetingRow
from tracker.domain.workdays import WorkCalendar
from tracker.models import Person, Plan, Report, Role
from tracker.reports.jobs import report_sweep
from tracker.services import actions, escalations, meetings, reports
from tracker.services.dispatch import send_outbox
from tracker.services.plan_settings import change_plan
from tracker.services.reminders import send_reminders

BUN = "Barn- och utbildningsnämnden"
CAL = WorkCalendar()
MEETINGS = [
    date(2018, 1, 31),
    date(2018, 2, 28),
    date(2018, 3, 28),
    date(2018, 4, 25),
    date(2018, 5, 30),
    date(2018, 6, 13),
    date(2018, 8, 29),
    date(2018, 9, 26),
    date(2018, 10, 24),
    date(2018, 12, 12),
]
BOARD_INBOX = "bun@pitea.example"


def _rows(moved_june: bool = False, cancelled_october: bool = False) -> list[MeetingRow]:
    out = []
    for held in MEETINGS:
        uid = f"bun-{held.isoformat()}"
        if moved_june and held == date(2018, 6, 13):
            held = date(2018, 6, 20)
        cancelled = cancelled_october and held == date(2018, 10, 24)
        out.append(MeetingRow(board=BUN, held_on=held, uid=uid, cancelled=cancelled))
    return out


def _person(app: App, email: str, name: str, role: Role = Role.owner) -> Person:
    return b.person(
        app,
        email,
        name,
        now=b.at(date(2018, 1, 2)),
        role=role,
        forvaltning="Utbildningsförvaltningen",
    )


def _what(subject: str, text: str) -> str:
    """A short, stable name for what a mail is, from its subject and the first line of its
    message."""
    body = " ".join(text.split())
    if subject.startswith("Utkast till återrapport att granska"):
        return "utkast"
    if subject.startswith("Återrapport nr"):
        return "återrapport"
    if subject.startswith("Godkänn återrapporten"):
        return "godkänn"
    if "Nya datum för återrapporten" in body:
        return "nya datum"
    parts = []
    if "INTE UPPDATERAT INFÖR ÅTERRAPPORTEN" in body or "uppdaterades inte inför" in body:
        parts.append("ej uppdaterad")
    elif "Uppdatera inför återrapporten" in body:
        parts.append("uppmaning")
    if "Eskalering" in subject:
        parts.append("eskalering")
    if "FÖRSENADE" in body:
        parts.append("försenad")
    if "KLART-DATUM NÄRMAR SIG" in body:
        parts.append("klart snart")
    return "+".join(parts) or subject


def test_a_year_of_the_namnds_calendar_gives_exactly_the_expected_mails(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    t0 = b.at(date(2018, 1, 2))
    mail = b.with_smtp(app, smtp_server.port)
    anna = _person(app, "anna.berg@pitea.example", "Anna Berg")
    bo = _person(app, "bo.lind@pitea.example", "Bo Lind")
    cecilia = _person(app, "cecilia.ek@pitea.example", "Cecilia Ek")
    david = _person(app, "david.holm@pitea.example", "David Holm")
    boss = _person(app, "per.nord@pitea.example", "Per Nord", Role.chef)
    top = _person(app, "kim.sand@pitea.example", "Kim Sand", Role.chef)
    with app.transaction() as s:
        meetings.import_meetings(s, _rows(), lead_days=21, now=t0)
        escalations.set_holder(
            s, app.registry, "forvaltningschef", "Utbildningsförvaltningen", boss, now=t0
        )
        escalations.set_holder(s, app.registry, "kommundirektor", "", top, now=t0)
    economy, area_a = b.plan(app, now=t0, chef=chef, namnd=BUN, report_months="6,12")
    health, area_b = b.plan(
        app, now=t0, chef=chef, namnd=BUN, report_months="4,10", title="Plan för elevhälsa"
    )
    for plan in (economy, health):
        with app.transaction() as s:
            found = s.get(Plan, plan.id)
            assert found is not None
            change_plan(s, found, {"board_recipients": BOARD_INBOX}, now=t0, actor=chef)
    far = date(2019, 6, 28)
    on_time = b.action(app, area_a, "Ta fram rutin", now=t0, owner=anna, due_on=far)
    late_one = b.action(app, area_a, "Utbilda rektorer", now=t0, owner=bo, due_on=far)
    b.action(app, area_b, "Kartlägg elevhälsan", now=t0, owner=cecilia, due_on=far)
    stuck = b.action(
        app, area_b, "Översyn av lokaler", now=t0, owner=david, due_on=date(2018, 2, 15)
    )
    assert on_time.id and late_one.id and stuck.id

    def note(action_id: int, who: Person, day: date, text: str) -> None:
        with mail.transaction() as s:
            actions.note_progress(s, action_id, who, text, now=b.at(day, 12))

    updates = {
        # Anna writes hers in good time for each report; Bo only after the update day.
        date(2018, 5, 15): lambda: note(on_time.id, anna, date(2018, 5, 15), "Pågår."),
        date(2018, 5, 28): lambda: note(late_one.id, bo, date(2018, 5, 28), "Sent men klart."),
        date(2018, 11, 8): lambda: note(on_time.id, anna, date(2018, 11, 8), "Pågår."),
    }

    received: list[tuple[date, str, str]] = []
    approved: dict[int, date] = {}
    day = date(2018, 1, 2)
    while day <= date(2018, 12, 31):
        now = b.at(day)
        if day == date(2018, 5, 7):
            with mail.transaction() as s:
                meetings.import_meetings(s, _rows(moved_june=True), lead_days=21, now=now)
        if day == date(2018, 9, 17):
            with mail.transaction() as s:
                rows = _rows(moved_june=True, cancelled_october=True)
                meetings.import_meetings(s, rows, lead_days=21, now=now)
        if day == date(2018, 5, 15):
            # David finishes his åtgärd: from here nothing more is late.
            with mail.transaction() as s:
                actions.move(s, mail.registry, stuck.id, "slutfor", david, now=now, text="Klart.")
        before = len(smtp_server.received)
        send_reminders(mail, now=now)
        report_sweep(mail, now=now)
        send_outbox(mail, now=now + timedelta(minutes=5))
        # Only the day's new messages are parsed: the reports carry PDFs.
        for msg in [r.message() for r in list(smtp_server.received)[before:]]:
            body = msg.get_body(("plain",))
            assert body is not None
            received.append((day, str(msg["To"]), _what(str(msg["Subject"]), body.get_content())))
        if day in updates:
            updates[day]()
        _approve_drafts_due(mail, chef, day, approved)
        day += timedelta(days=1)

    assert _deadlines_held(mail, approved)
    assert received == EXPECTED


def _approve_drafts_due(app: App, chef: Person, day: date, approved: dict[int, date]) -> None:
    """The chef approves each draft on the working day before its secretary's deadline."""
    with app.transaction() as s:
        drafts = s.exec(select(Report).where(Report.state == "utkast")).all()
        for draft in drafts:
            plan = s.get(Plan, draft.plan_id)
            assert plan is not None and draft.id is not None
            occasion = reports.due_occasion(s, app.registry, plan, draft.as_of, 14)
            assert occasion is not None
            if day >= CAL.on_or_before(occasion.approve_by - timedelta(days=1)):
                reports.approve_report(
                    s, app.registry, draft.id, chef, now=b.at(day, 10), tz=app.tz
                )
                approved[draft.id] = occasion.approve_by


def _deadlines_held(app: App, approved: dict[int, date]) -> bool:
    with app.transaction() as s:
        issued = s.exec(select(Report).order_by(col(Report.id))).all()
        assert [r.id for r in issued] == sorted(approved)
        for report in issued:
            assert report.approved_at is not None
            assert local_date(report.approved_at, app.tz) <= approved[report.id or 0]
    return True


ANNA = "anna.berg@pitea.example"
BO = "bo.lind@pitea.example"
CECILIA = "cecilia.ek@pitea.example"
DAVID = "david.holm@pitea.example"
CHEF = "malin.westling@pitea.example"
BOSS = "per.nord@pitea.example"
TOP = "kim.sand@pitea.example"

EXPECTED: list[tuple[date, str, str]] = [
    # David's åtgärd, due Thursday 15 February: two weeks and three days before, then late
    # every week, the week of Good Friday on the Thursday before.
    (date(2018, 2, 1), DAVID, "klart snart"),
    (date(2018, 2, 12), DAVID, "klart snart"),
    (date(2018, 2, 16), DAVID, "försenad"),
    (date(2018, 2, 23), DAVID, "försenad"),
    (date(2018, 3, 2), DAVID, "försenad"),
    (date(2018, 3, 9), DAVID, "försenad"),
    # The elevhälsa plan reports at the April meeting (25 April): papers by 4 April, the
    # draft three working days before (Easter Monday and Good Friday are closed: 28 March),
    # owners update by 27 March and are called two weeks before, 13 March.
    (date(2018, 3, 13), CECILIA, "uppmaning"),
    (date(2018, 3, 13), DAVID, "uppmaning+försenad"),
    (date(2018, 3, 16), DAVID, "försenad"),
    # 30 days late on Saturday 17 March: the chef on Monday; unanswered for five working
    # days, the förvaltningschef; five more (Easter closed), the kommundirektör; then no more.
    (date(2018, 3, 19), CHEF, "eskalering"),
    (date(2018, 3, 23), DAVID, "försenad"),
    (date(2018, 3, 27), BOSS, "eskalering"),
    (date(2018, 3, 28), CECILIA, "ej uppdaterad"),
    (date(2018, 3, 28), DAVID, "ej uppdaterad+försenad"),
    (date(2018, 3, 28), CHEF, "utkast"),
    (date(2018, 3, 29), DAVID, "försenad"),
    # Not yet approved the working day before the secretary's deadline: the chef is reminded
    # that morning, approves at ten, and the report goes out the next morning.
    (date(2018, 4, 3), CHEF, "godkänn"),
    (date(2018, 4, 4), BOARD_INBOX, "återrapport"),
    (date(2018, 4, 5), DAVID, "försenad"),
    (date(2018, 4, 6), TOP, "eskalering"),
    (date(2018, 4, 12), DAVID, "försenad"),
    (date(2018, 4, 19), DAVID, "försenad"),
    (date(2018, 4, 26), DAVID, "försenad"),
    # The economy plan reports at the June meeting (13 June): owners update by 17 May,
    # called 3 May.
    (date(2018, 5, 3), ANNA, "uppmaning"),
    (date(2018, 5, 3), BO, "uppmaning"),
    (date(2018, 5, 3), DAVID, "försenad"),
    # 7 May: the meeting moves to 20 June; update by 24 May instead. Those told, and the
    # chef, hear it once; the call is not repeated.
    (date(2018, 5, 7), CHEF, "nya datum"),
    (date(2018, 5, 7), ANNA, "nya datum"),
    (date(2018, 5, 7), BO, "nya datum"),
    # The week's reminder moves from Kristi himmelsfärd to the day before; David is done
    # on 15 May.
    (date(2018, 5, 9), DAVID, "försenad"),
    # Anna updated on 15 May; Bo had not by 24 May. The draft, on the new dates.
    (date(2018, 5, 25), BO, "ej uppdaterad"),
    (date(2018, 5, 25), CHEF, "utkast"),
    (date(2018, 5, 29), CHEF, "godkänn"),
    (date(2018, 5, 30), BOARD_INBOX, "återrapport"),
    # The October meeting (24 October): called 13 September; cancelled on 17 September,
    # its report goes to 12 December and Cecilia and the chef hear it.
    (date(2018, 9, 13), CECILIA, "uppmaning"),
    (date(2018, 9, 17), CHEF, "nya datum"),
    (date(2018, 9, 17), CECILIA, "nya datum"),
    # 12 December, both plans: update by 15 November, called 1 November (Cecilia was
    # already told); Anna updates, Bo and Cecilia do not; two drafts, two reports.
    (date(2018, 11, 1), ANNA, "uppmaning"),
    (date(2018, 11, 1), BO, "uppmaning"),
    (date(2018, 11, 16), BO, "ej uppdaterad"),
    (date(2018, 11, 16), CECILIA, "ej uppdaterad"),
    (date(2018, 11, 16), CHEF, "utkast"),
    (date(2018, 11, 16), CHEF, "utkast"),
    (date(2018, 11, 20), CHEF, "godkänn"),
    (date(2018, 11, 20), CHEF, "godkänn"),
    (date(2018, 11, 21), BOARD_INBOX, "återrapport"),
    (date(2018, 11, 21), BOARD_INBOX, "återrapport"),
]
