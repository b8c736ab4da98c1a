"""An återrapport made long before the meeting a report goes to is an extra report, as Piteå's
own of 2018-01-10 ("Ny återrapport juni 2018"): it answers no meeting, names the next one still
to come, and the report for that meeting is still to make, drafted on its draft day. A draft
made on its draft day stays its meeting's when the meeting then moves a few weeks later.

The demo's own plan and sammanträdesplan (examples/), and the same plan at a nämnd without a
sammanträdesplan, which reports by month."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.support import builders as b
from tracker.app import App
from tracker.domain.report_schedule import occasion_of
from tracker.domain.workdays import WorkCalendar
from tracker.models import Meeting, Plan, Report
from tracker.reports.jobs import report_sweep
from tracker.services import demo, meetings, reports
from tracker.services.meeting_reports import reports_at_meetings
from tracker.services.report_schedule import coming_reports

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"
PLAN_DAY = date(2018, 1, 10)
# A nämnd that has published no sammanträdesplan.
NO_CALENDAR = "Kultur- och fritidsnämnden"
# The demo's June report: at the meeting of 13 June (papers 21 days before, Wednesday 23 May,
# the draft three working days before that), or, without a sammanträdesplan, by the plan's
# own date 30 June (the draft 14 days before the month).
DRAFT_DAY = date(2018, 5, 18)

MODES = ["sammanträdesplan", "månad"]


def _demo(app: App, mode: str) -> demo.Demo:
    with app.transaction() as s:
        seeded = demo.seed_demo(s, app.registry, app.settings, EXAMPLE, tz=app.tz)
        if mode == "månad":
            plan = s.get_one(Plan, seeded.plan_id)
            plan.namnd = NO_CALENDAR
            s.add(plan)
    return seeded


def _issue(app: App, seeded: demo.Demo, as_of: date) -> int:
    now = b.at(as_of, 10)
    with app.transaction() as s:
        report = reports.draft_report(
            s, app.registry, seeded.plan_id, as_of=as_of, now=now, tz=app.tz,
            draft_days=app.settings.report_draft_days_before,
        )  # fmt: skip
        assert report.id is not None
        reports.approve_report(s, app.registry, report.id, seeded.chef, now=now, tz=app.tz)
        return report.id


def _coming_period(app: App, s: Session, plan_id: int, today: date) -> date:
    plan = s.get_one(Plan, plan_id)
    (coming,) = coming_reports(
        s, app.registry, [plan], today=today, tz=app.tz, cal=WorkCalendar(),
        fallback_draft_days=app.settings.report_draft_days_before,
    )  # fmt: skip
    return coming.occasion.period


def _reports_of(s: Session, plan_id: int) -> list[Report]:
    query = select(Report).where(Report.plan_id == plan_id).order_by(col(Report.id))
    return list(s.exec(query))


@pytest.mark.parametrize("mode", MODES)
def test_a_report_as_of_the_plans_day_is_an_extra_one_and_names_june_next(
    app: App, mode: str
) -> None:
    seeded = _demo(app, mode)
    report_id = _issue(app, seeded, PLAN_DAY)
    with app.transaction() as s:
        html = reports.report_document(s, report_id, "html").data.decode()
        assert "Nästa återrapport: juni 2018." in html
        # June is still to report: the issued report of January does not answer it.
        assert _coming_period(app, s, seeded.plan_id, date(2018, 1, 11)) == date(2018, 6, 1)
    # And the sweep makes June's draft on its draft day, which names December next.
    report_sweep(app, now=b.at(DRAFT_DAY))
    with app.transaction() as s:
        extra, june = _reports_of(s, seeded.plan_id)
        assert (extra.id, june.as_of) == (report_id, DRAFT_DAY)
        snapshot = reports.snapshot_of(june)
        assert snapshot.period == date(2018, 6, 1)
        assert snapshot.next_report_on is not None
        assert snapshot.next_report_on.replace(day=1) == date(2018, 12, 1)


def test_the_calendar_lists_no_report_at_june_s_meeting_for_an_extra_report(app: App) -> None:
    seeded = _demo(app, "sammanträdesplan")
    _issue(app, seeded, PLAN_DAY)
    with app.transaction() as s:
        plan = s.get_one(Plan, seeded.plan_id)
        shown = meetings.list_meetings(s, board=plan.namnd, year=2018)
        due = reports_at_meetings(
            s, app.registry, [plan], shown, reader=seeded.chef, cal=WorkCalendar(),
            fallback_draft_days=app.settings.report_draft_days_before,
        )  # fmt: skip
        june = next(m for m in shown if m.held_on == date(2018, 6, 13))
        (at_june,) = due[june.id]
        assert at_june.reports == []
        # No meeting lists it.
        assert [r for listed in due.values() for m in listed for r in m.reports] == []


def test_a_draft_stays_june_s_when_the_meeting_moves_weeks_later(app: App) -> None:
    seeded = _demo(app, "sammanträdesplan")
    report_sweep(app, now=b.at(DRAFT_DAY))
    # The June meeting moves four weeks, to 11 July: its draft day moves to 15 June.
    moved_on = date(2018, 7, 11)
    with app.transaction() as s:
        (june_meeting,) = s.exec(select(Meeting).where(Meeting.held_on == date(2018, 6, 13)))
        meetings.change_meeting(s, june_meeting, held_on=moved_on)
    for day in (date(2018, 6, 15), date(2018, 6, 18), date(2018, 7, 2)):
        report_sweep(app, now=b.at(day))
    with app.transaction() as s:
        (draft,) = _reports_of(s, seeded.plan_id)
        assert draft.as_of == DRAFT_DAY
        plan = s.get_one(Plan, seeded.plan_id)
        occasions = reports.plan_occasions(
            s, app.registry, plan, DRAFT_DAY, app.settings.report_draft_days_before
        )
        june = occasion_of(occasions, draft.as_of)
        assert june is not None
        assert (june.meeting_on, june.draft_on) == (moved_on, date(2018, 6, 15))
