"""The nämnd's sammanträdesplan drives an återrapport's dates: the call to update, the
reminder to those who did not, the draft, "Ny återrapport", and one mail when a meeting
moves or is cancelled. Real SMTP; the clock is moved, never slept on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlmodel import select

from tests.support import builders as b
from tests.support.documents import docx_text, pdf_text
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.domain.report import MeetingSnap
from tracker.domain.report_schedule import Occasion
from tracker.models import Person, Report
from tracker.reports.jobs import report_sweep
from tracker.reports.mail import approval_reminder_message
from tracker.services import actions, meetings, reports
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import send_reminders

BUN = "Barn- och utbildningsnämnden"
JUNE = MeetingRow(board=BUN, held_on=date(2018, 6, 14), uid="bun-2018-06")
DECEMBER = MeetingRow(board=BUN, held_on=date(2018, 12, 12), uid="bun-2018-12")
LATE_JUNE = MeetingRow(board=BUN, held_on=date(2018, 6, 27), uid="bun-2018-06b")


def calendar(app: App, *rows: MeetingRow, now: datetime) -> None:
    with app.transaction() as s:
        meetings.import_meetings(s, rows, lead_days=21, now=now)


def run_day(app: App, server: SmtpServer, day: date) -> dict[str, list[str]]:
    """One working day's sweeps and delivery: what each person received, as subject and
    text."""
    now = b.at(day)
    send_reminders(app, now=now)
    report_sweep(app, now=now)
    before = len(server.received)
    send_outbox(app, now=now + timedelta(minutes=1))
    got: dict[str, list[str]] = {}
    for msg in server.messages()[before:]:
        body = msg.get_body(("plain",))
        assert body is not None
        text = " ".join(body.get_content().split())
        got.setdefault(str(msg["To"]), []).append(f"{msg['Subject']} | {text}")
    return got


def setup(app: App, chef: Person, smtp: SmtpServer) -> tuple[App, Person, int, int]:
    t0 = b.at(date(2018, 4, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=t0)
    plan, area = b.plan(app, now=t0, chef=chef, namnd=BUN, report_months="6,12")
    action = b.action(app, area, "Ta fram rutin", now=t0, owner=anna, due_on=date(2018, 12, 31))
    calendar(app, JUNE, DECEMBER, LATE_JUNE, now=t0)
    assert plan.id is not None and action.id is not None
    return b.with_smtp(app, smtp.port), anna, plan.id, action.id


def test_owners_are_called_two_weeks_before_the_update_day_worked_back_from_the_meeting(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, anna, _, _ = setup(app, chef, smtp_server)
    # Meeting Thursday 14 June, papers 21 days before (24 May), draft three working days
    # before that (21 May), owners update by Friday 18 May: called Friday 4 May.
    assert run_day(mail, smtp_server, date(2018, 5, 3)) == {}
    got = run_day(mail, smtp_server, date(2018, 5, 4))
    assert list(got) == [anna.email]
    (text,) = got[anna.email]
    assert (
        f"Uppdatera inför återrapporten om Åtgärdsplan för ekonomi i balans till {BUN} den "
        "14 juni 2018 senast 18 maj 2018" in text
    )
    assert run_day(mail, smtp_server, date(2018, 5, 7)) == {}


def test_an_owner_who_did_not_update_gets_one_reminder_and_the_chef_a_list(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, anna, plan_id, action_id = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 4))
    # Monday 21 May: the update day has passed; it is also the draft day.
    got = run_day(mail, smtp_server, date(2018, 5, 21))
    (to_anna,) = got[anna.email]
    assert "INTE UPPDATERAT INFÖR ÅTERRAPPORTEN" in to_anna
    assert "sista dag var 18 maj 2018" in to_anna
    (to_chef,) = got[chef.email]
    assert to_chef.startswith("Utkast till återrapport att granska")
    assert f"ska till {BUN}s sammanträde den 2018-06-14" in to_chef
    assert "Godkänn den senast 2018-05-24" in to_chef
    assert f"Inte uppdaterade inför återrapporten (1): [{action_id}] Ta fram rutin – Anna" in (
        to_chef
    )
    assert run_day(mail, smtp_server, date(2018, 5, 22)) == {}
    with mail.transaction() as s:
        (report,) = s.exec(select(Report).where(Report.plan_id == plan_id)).all()
        snapshot = reports.snapshot_of(report)
    # "Ny återrapport" is the next meeting with a report: December.
    assert snapshot.next_report_on == date(2018, 12, 12)
    assert snapshot.period == date(2018, 6, 1)


def test_an_owner_who_updated_gets_no_reminder_after_the_update_day(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, anna, _, action_id = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 4))
    with mail.transaction() as s:
        actions.note_progress(
            s, action_id, anna, "Pågår enligt tidsplan.", now=b.at(date(2018, 5, 8))
        )
    got = run_day(mail, smtp_server, date(2018, 5, 21))
    assert anna.email not in got
    assert "Inte uppdaterade inför återrapporten" not in got[chef.email][0]


def test_a_moved_meeting_moves_the_dates_and_tells_each_person_once(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, anna, _, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 4))
    # The June meeting moves a week later, to 21 June: update by 25 May.
    moved = MeetingRow(board=BUN, held_on=date(2018, 6, 21), uid=JUNE.uid)
    calendar(mail, moved, now=b.at(date(2018, 5, 8)))
    got = run_day(mail, smtp_server, date(2018, 5, 8))
    (to_anna,) = got[anna.email]
    assert "Nya datum för återrapporten" in to_anna
    assert "nämndens sammanträde är nu den 21 juni 2018" in to_anna
    assert "senast 25 maj 2018" in to_anna and "(tidigare 18 maj 2018)" in to_anna
    (to_chef,) = got[chef.email]
    assert "Nya datum för återrapporten" in to_chef
    # Nothing twice: not the notice, not the call.
    assert run_day(mail, smtp_server, date(2018, 5, 9)) == {}
    # The old dates pass without anything; the new ones bring the reminder and the draft.
    assert run_day(mail, smtp_server, date(2018, 5, 21)) == {}
    got = run_day(mail, smtp_server, date(2018, 5, 28))
    assert "sista dag var 25 maj 2018" in got[anna.email][0]
    assert got[chef.email][0].startswith("Utkast till återrapport att granska")


def test_a_cancelled_meeting_passes_the_report_to_the_next_and_says_so(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, anna, plan_id, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 4))
    cancelled = MeetingRow(board=BUN, held_on=JUNE.held_on, uid=JUNE.uid, cancelled=True)
    calendar(mail, cancelled, now=b.at(date(2018, 5, 8)))
    got = run_day(mail, smtp_server, date(2018, 5, 8))
    (to_anna,) = got[anna.email]
    assert (
        "sammanträdet den 14 juni 2018 är inställt och återrapporten går till sammanträdet "
        "den 27 juni 2018" in to_anna
    )
    # 27 June: papers 21 days before fall on nationaldagen, so by Tuesday 5 June; the
    # draft three working days before, Thursday 31 May; owners update by 30 May.
    assert "senast 30 maj 2018" in to_anna
    assert run_day(mail, smtp_server, date(2018, 5, 30)) == {}
    got = run_day(mail, smtp_server, date(2018, 5, 31))
    assert got[chef.email][0].startswith("Utkast till återrapport att granska")
    with mail.transaction() as s:
        (report,) = s.exec(select(Report).where(Report.plan_id == plan_id)).all()
        assert reports.snapshot_of(report).next_report_on == date(2018, 12, 12)


def test_a_draft_made_before_the_meeting_moved_is_not_made_again(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, _, plan_id, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 21))
    moved = MeetingRow(board=BUN, held_on=date(2018, 6, 21), uid=JUNE.uid)
    calendar(mail, moved, now=b.at(date(2018, 5, 22)))
    for day in (date(2018, 5, 22), date(2018, 5, 28), date(2018, 5, 29)):
        run_day(mail, smtp_server, day)
    with mail.transaction() as s:
        assert len(s.exec(select(Report).where(Report.plan_id == plan_id)).all()) == 1


def test_the_chef_is_reminded_once_to_approve_the_day_before_the_secretarys_deadline(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, _, _, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 21))  # the draft
    # Papers by Thursday 24 May: reminded on Wednesday 23 May, once.
    assert run_day(mail, smtp_server, date(2018, 5, 22)) == {}
    got = run_day(mail, smtp_server, date(2018, 5, 23))
    (to_chef,) = got[chef.email]
    assert to_chef.startswith("Godkänn återrapporten senast 2018-05-24: Åtgärdsplan")
    assert f"till {BUN}s sammanträde den 2018-06-14 är inte godkänt" in to_chef
    assert run_day(mail, smtp_server, date(2018, 5, 24)) == {}


def test_an_approved_draft_brings_no_reminder(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, _, plan_id, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 21))
    with mail.transaction() as s:
        (draft,) = s.exec(select(Report).where(Report.plan_id == plan_id)).all()
        assert draft.id is not None
        reports.approve_report(
            s, mail.registry, draft.id, chef, now=b.at(date(2018, 5, 22)), tz=mail.tz
        )
    got = run_day(mail, smtp_server, date(2018, 5, 23))
    assert chef.email not in got


def _document_texts(app: App, report_id: int) -> dict[str, str]:
    with app.transaction() as s:
        return {
            "html": reports.report_document(s, report_id, "html").data.decode(),
            "pdf": pdf_text(reports.report_document(s, report_id, "pdf").data),
            "docx": docx_text(reports.report_document(s, report_id, "docx").data),
        }


def test_the_report_names_its_meeting_and_an_issued_one_keeps_it_when_the_meeting_moves(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail, _, plan_id, _ = setup(app, chef, smtp_server)
    run_day(mail, smtp_server, date(2018, 5, 21))  # the draft, for 14 June
    with mail.transaction() as s:
        (draft,) = s.exec(select(Report).where(Report.plan_id == plan_id)).all()
        assert draft.id is not None
        assert reports.snapshot_of(draft).meeting == MeetingSnap(BUN, date(2018, 6, 14))
    june_14 = f"Till {BUN}s sammanträde den 14 juni 2018"
    assert all(june_14 in text for text in _document_texts(mail, draft.id).values())

    # The meeting moves a week before the draft is approved: the draft goes to the moved
    # meeting, and the issued report says so.
    calendar(mail, replace(JUNE, held_on=date(2018, 6, 21)), now=b.at(date(2018, 5, 22)))
    with mail.transaction() as s:
        reports.approve_report(
            s, mail.registry, draft.id, chef, now=b.at(date(2018, 5, 23)), tz=mail.tz
        )
    june_21 = f"Till {BUN}s sammanträde den 21 juni 2018"
    issued = _document_texts(mail, draft.id)
    assert all(june_21 in text and june_14 not in text for text in issued.values())

    # Issued, it never changes: a later move leaves the document and its snapshot as issued.
    calendar(mail, replace(JUNE, held_on=date(2018, 6, 28)), now=b.at(date(2018, 5, 24)))
    assert _document_texts(mail, draft.id) == issued
    with mail.transaction() as s:
        report = s.get(Report, draft.id)
        assert report is not None
        assert reports.snapshot_of(report).meeting == MeetingSnap(BUN, date(2018, 6, 21))
        assert all(v.reproduced for v in reports.verify_report(s, draft.id).values())


def test_an_extra_report_names_no_meeting(app: App, chef: Person, smtp_server: SmtpServer) -> None:
    mail, _, plan_id, _ = setup(app, chef, smtp_server)
    # Made in April, long before the June meeting's run-up: an extra report.
    with mail.transaction() as s:
        report = reports.draft_report(
            s,
            mail.registry,
            plan_id,
            as_of=date(2018, 4, 3),
            now=b.at(date(2018, 4, 3)),
            tz=mail.tz,
            draft_days=14,
        )
        assert report.id is not None
        assert reports.snapshot_of(report).meeting is None
    assert all("sammanträde" not in text for text in _document_texts(mail, report.id).values())


def test_the_chefs_reminder_names_a_meeting_of_a_nämnd_without_a_genitive_rightly() -> None:
    """ "Nämnden för teknik och service" has no genitive by adding an s: the mail says
    "sammanträdet i" it, as the report itself does."""
    board = "Nämnden för teknik och service"
    occasion = Occasion(
        key=date(2018, 6, 14),
        meeting_on=date(2018, 6, 14),
        approve_by=date(2018, 5, 24),
        draft_on=date(2018, 5, 21),
        update_by=date(2018, 5, 18),
        window_start=date(2018, 4, 9),
        window_end=date(2018, 6, 14),
        board=board,
        meeting_id=1,
    )
    message = approval_reminder_message(
        "chef@pitea.example", "Malin", "Plan", occasion, "https://x.example/r/1"
    )
    assert f"till sammanträdet i {board} den 2018-06-14" in message.text
    assert "services sammanträde" not in message.text
