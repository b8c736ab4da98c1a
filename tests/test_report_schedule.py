"""When an återrapport's dates fall, worked back from the nämnd's meeting
(tracker.domain.report_schedule), and when the reminders before it are due."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.reminders import report_timer_due
from tracker.domain.report_schedule import (
    RUN_UP,
    BoardMeeting,
    ScheduleRules,
    calendar_occasions,
    month_occasions,
    occasion_after,
    occasion_of,
    still_to_report,
    working_days_before,
)
from tracker.domain.workdays import WorkCalendar
from workflows import DefinitionError, default_registry
from workflows.definition import parse_definition

CAL = WorkCalendar()
RULES = ScheduleRules(draft_working_days=3, update_working_days=1)
TIMERS = {t.id: t for t in default_registry().get("atgard").definition.timers}


def meeting(
    i: int, held: date, planned: date | None = None, *, cancelled: bool = False
) -> BoardMeeting:
    return BoardMeeting(
        id=i,
        board="BUN",
        held_on=held,
        planned_on=planned or held,
        cancelled=cancelled,
        lead_days=21,
    )


BUN_2018 = [
    meeting(1, date(2018, 2, 14)),
    meeting(2, date(2018, 6, 14)),
    meeting(3, date(2018, 6, 27)),
    meeting(4, date(2018, 9, 19)),
    meeting(5, date(2018, 12, 12)),
]


def test_the_dates_are_worked_back_from_the_meeting_in_working_days() -> None:
    june, december = calendar_occasions([6, 12], BUN_2018, RULES, CAL)
    # Thursday 14 June: papers with the secretary 21 days before, Thursday 24 May; the
    # draft three working days before (Monday 21 May); owners update by the working day
    # before the draft, Friday 18 May.
    assert june.meeting_on == date(2018, 6, 14)
    assert june.approve_by == date(2018, 5, 24)
    assert june.draft_on == date(2018, 5, 21)
    assert june.update_by == date(2018, 5, 18)
    assert (june.board, june.meeting_id, june.key) == ("BUN", 2, date(2018, 6, 14))
    assert december.meeting_on == date(2018, 12, 12)


def test_holidays_are_not_counted_as_working_days() -> None:
    # Kristi himmelsfärd 2018 is Thursday 10 May: one working day before Friday 11 May is
    # Wednesday 9 May.
    assert working_days_before(date(2018, 5, 11), 1, CAL) == date(2018, 5, 9)
    # A deadline on a Sunday moves to the Friday before, and counts from there.
    assert working_days_before(date(2018, 5, 20), 0, CAL) == date(2018, 5, 18)
    assert working_days_before(date(2018, 5, 20), 2, CAL) == date(2018, 5, 16)


def test_the_first_meeting_in_a_report_month_is_the_one() -> None:
    (june,) = calendar_occasions([6], BUN_2018, RULES, CAL)
    assert june.meeting_id == 2


def test_a_moved_meeting_moves_every_date_and_keeps_its_key() -> None:
    moved = [*BUN_2018[:1], meeting(2, date(2018, 7, 4), date(2018, 6, 14)), *BUN_2018[2:]]
    june = calendar_occasions([6], moved, RULES, CAL)[0]
    # Still the June report, though the meeting moved into July.
    assert june.key == date(2018, 6, 14)
    assert june.meeting_on == date(2018, 7, 4)
    assert june.approve_by == date(2018, 6, 13)
    assert june.update_by == date(2018, 6, 7)


def test_a_cancelled_meeting_passes_its_report_to_the_next() -> None:
    cancelled = [*BUN_2018[:1], meeting(2, date(2018, 6, 14), cancelled=True), *BUN_2018[2:]]
    june = calendar_occasions([6], cancelled, RULES, CAL)[0]
    assert june.key == date(2018, 6, 14)
    assert june.meeting_id == 3
    assert june.cancelled_on == date(2018, 6, 14)
    assert june.meeting_on == date(2018, 6, 27)


def test_a_report_belongs_to_the_occasion_whose_run_up_holds_it() -> None:
    occasions = calendar_occasions([2, 6, 12], BUN_2018, RULES, CAL)
    feb, june, dec = occasions
    # From six weeks before the draft day up to the meeting itself: June's draft day is
    # Monday 21 May, so from Monday 9 April.
    assert june.window_start == date(2018, 4, 9) == june.draft_on - RUN_UP
    assert occasion_of(occasions, date(2018, 4, 9)) == june
    assert occasion_of(occasions, date(2018, 6, 14)) == june
    # February's run-up starts six weeks before its draft day (Friday 19 January).
    assert feb.window_start == date(2017, 12, 8)
    assert occasion_after(occasions, june, date(2018, 6, 1)) == dec
    assert occasion_after(occasions, dec, date(2018, 12, 1)) is None


@pytest.mark.parametrize("day", [date(2018, 2, 15), date(2018, 4, 8), date(2018, 6, 15)])
def test_a_report_made_before_an_occasions_run_up_is_an_extra_report(day: date) -> None:
    """The day after February's meeting, the day before June's run-up, the day after June's
    meeting: no occasion's, and the next återrapport is the next meeting with one."""
    occasions = calendar_occasions([2, 6, 12], BUN_2018, RULES, CAL)
    _, june, dec = occasions
    assert occasion_of(occasions, day) is None
    following = june if day < june.meeting_on else dec
    assert occasion_after(occasions, None, day) == following
    # It answers none: every occasion to come is still to report.
    assert still_to_report(occasions, day, [day]) == [o for o in (june, dec) if o.meeting_on > day]


def test_a_draft_stays_its_meetings_when_the_meeting_moves_a_few_weeks_later() -> None:
    june = calendar_occasions([6], BUN_2018, RULES, CAL)[0]
    # Made on its draft day, 21 May; then the meeting moves five weeks, to 19 July, and the
    # draft day with it, to Monday 25 June.
    moved = [*BUN_2018[:1], meeting(2, date(2018, 7, 19), date(2018, 6, 14)), *BUN_2018[2:]]
    occasions = calendar_occasions([6, 12], moved, RULES, CAL)
    assert occasions[0].draft_on == date(2018, 6, 25)
    assert occasion_of(occasions, june.draft_on) == occasions[0]
    assert still_to_report(occasions, date(2018, 6, 1), [june.draft_on]) == occasions[1:]


def test_a_report_past_its_day_to_approve_by_is_still_to_make_until_issued_or_its_meeting() -> None:
    occasions = calendar_occasions([2, 6, 12], BUN_2018, RULES, CAL)
    _, june, dec = occasions
    # 1 June: June's papers were due 24 May, its meeting is 14 June, nothing is issued.
    assert still_to_report(occasions, date(2018, 6, 1), []) == [june, dec]
    # A report issued as of a day in June's window answers it.
    assert still_to_report(occasions, date(2018, 6, 1), [date(2018, 5, 30)]) == [dec]
    # After its meeting, June is past whether or not it was reported.
    assert still_to_report(occasions, date(2018, 6, 15), []) == [dec]


def test_without_a_calendar_the_report_months_stand() -> None:
    june = month_occasions([6], None, range(2018, 2019), 14, CAL)[0]
    assert june.meeting_on == date(2018, 6, 1)
    assert june.draft_on == date(2018, 5, 18)
    assert june.update_by == date(2018, 5, 18)
    # The same run-up as at a meeting: six weeks before the draft day.
    assert (june.window_start, june.window_end) == (date(2018, 4, 6), date(2018, 6, 30))
    # The plan's own next report date replaces the start of its month.
    own = month_occasions([6], date(2018, 6, 20), range(2018, 2019), 14, CAL)
    assert [o.meeting_on for o in own] == [date(2018, 6, 20)]


def test_without_a_calendar_a_report_long_before_the_month_is_an_extra_report() -> None:
    occasions = month_occasions([6, 12], date(2018, 6, 30), range(2018, 2019), 14, CAL)
    june, dec = occasions
    assert occasion_of(occasions, date(2018, 1, 10)) is None
    assert occasion_after(occasions, None, date(2018, 1, 10)) == june
    assert still_to_report(occasions, date(2018, 1, 11), [date(2018, 1, 10)]) == [june, dec]
    assert occasion_of(occasions, june.draft_on - RUN_UP) == june
    # Report months next to each other: a report is the earlier month's until its end.
    monthly = month_occasions([5, 6], None, range(2018, 2019), 14, CAL)
    assert occasion_of(monthly, date(2018, 5, 25)) == monthly[0]
    assert monthly[1].window_start == monthly[1].draft_on == date(2018, 5, 18)


def _due(timer: str, today: date, *, sent: bool = False, updated: bool = False) -> bool:
    return report_timer_due(
        TIMERS[timer],
        update_by=date(2018, 5, 18),
        approve_by=date(2018, 5, 24),
        today=today,
        cal=CAL,
        sent=sent,
        updated=updated,
    )


def test_owners_are_called_two_weeks_before_the_update_day() -> None:
    assert not _due("infor_aterrapport", date(2018, 5, 3))
    assert _due("infor_aterrapport", date(2018, 5, 4))
    assert _due("infor_aterrapport", date(2018, 5, 18))
    assert not _due("infor_aterrapport", date(2018, 5, 4), sent=True)
    assert not _due("infor_aterrapport", date(2018, 5, 21))


def test_only_owners_who_did_not_update_get_the_reminder_after() -> None:
    assert not _due("ej_uppdaterad", date(2018, 5, 18))
    # Saturday 19 May is no working day; Monday 21 May is.
    assert not _due("ej_uppdaterad", date(2018, 5, 19))
    assert _due("ej_uppdaterad", date(2018, 5, 21))
    assert not _due("ej_uppdaterad", date(2018, 5, 21), updated=True)
    assert not _due("ej_uppdaterad", date(2018, 5, 21), sent=True)
    # After the approval day it no longer helps the report.
    assert not _due("ej_uppdaterad", date(2018, 5, 25))


def _definition(extra: str) -> str:
    return 'name = "x"\nlabel = "X"\ninitial = "a"\n[[states]]\nid = "a"\nlabel = "A"\n' + extra


def test_the_report_timers_and_schedule_are_read_from_the_workflow_file() -> None:
    wf = parse_definition(
        _definition(
            "[schedule]\ndraft_working_days = 5\nupdate_working_days = 2\n"
            '[[timers]]\nid = "kalla"\nlabel = "Inför"\nkind = "before"\n'
            'date = "report_update_by"\ndays = 10\nstates = ["a"]\n'
        ),
        Path("egen.toml"),
    )
    assert wf.schedule is not None and wf.schedule.draft_working_days == 5
    assert wf.timers[0].date == "report_update_by"


def test_a_report_timer_that_cannot_work_is_refused_naming_the_file() -> None:
    every = (
        '[[timers]]\nid = "t"\nlabel = "T"\nkind = "every_after"\n'
        'date = "report_update_by"\ndays = 7\nstates = ["a"]\n'
    )
    with pytest.raises(DefinitionError, match=r"egen\.toml.*report_update_by går bara"):
        parse_definition(_definition(every), Path("egen.toml"))
    misplaced = (
        '[[timers]]\nid = "t"\nlabel = "T"\nkind = "after"\n'
        'date = "due_on"\ndays = 7\nstates = ["a"]\nunless_updated = true\n'
    )
    with pytest.raises(DefinitionError, match="unless_updated gäller bara"):
        parse_definition(_definition(misplaced), Path("egen.toml"))
    with pytest.raises(DefinitionError, match="draft_working_days"):
        parse_definition(_definition("[schedule]\ndraft_working_days = -1\n"), Path("egen.toml"))


def test_a_kommun_s_own_schedule_moves_the_dates() -> None:
    longer = ScheduleRules(draft_working_days=5, update_working_days=2)
    (june,) = calendar_occasions([6], BUN_2018, longer, CAL)
    # 24 May back five working days: 17 May; two more: 15 May.
    assert (june.draft_on, june.update_by) == (date(2018, 5, 17), date(2018, 5, 15))
