"""The pure rules of when a reminder is due (tracker.domain.reminders)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.reminders import (
    Sent,
    due_timers,
    timer_is_due,
)
from tracker.domain.workdays import WorkCalendar
from workflows import default_registry

CAL = WorkCalendar()
TIMERS = default_registry().get("atgard").definition.timers
NOTHING = Sent()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def simulate(
    kind: str, anchor: date, n: int, start: date, end: date, cal: WorkCalendar = CAL
) -> list[date]:
    """Run a sweep every day from start to end, remembering what was sent."""
    sent: list[date] = []
    for d in days(start, end):
        info = Sent(last=sent[-1] if sent else None, anchors=frozenset([anchor] if sent else []))
        if timer_is_due(kind, anchor, n, d, cal, info):
            sent.append(d)
    return sent


def test_before_timer_goes_out_on_its_day_when_that_is_a_working_day() -> None:
    # due Friday 6 July; 3 days before is Tuesday 3 July.
    assert simulate("before", date(2018, 7, 6), 3, date(2018, 6, 1), date(2018, 7, 31)) == [
        date(2018, 7, 3)
    ]


def test_before_timer_on_midsommarafton_goes_out_the_thursday_before() -> None:
    # 14 days before Friday 6 July is midsommarafton, Friday 22 June.
    assert simulate("before", date(2018, 7, 6), 14, date(2018, 6, 1), date(2018, 7, 31)) == [
        date(2018, 6, 21)
    ]


def test_before_timer_on_a_sunday_goes_out_the_friday_before() -> None:
    # 14 days before Sunday 24 June is Sunday 10 June -> Friday 8 June.
    assert simulate("before", date(2018, 6, 24), 14, date(2018, 6, 1), date(2018, 7, 31)) == [
        date(2018, 6, 8)
    ]


def test_a_missed_before_timer_is_caught_up_once_while_the_date_is_ahead() -> None:
    # The first sweep is after the nominal day (import, or the scheduler was down).
    assert simulate("before", date(2018, 6, 20), 14, date(2018, 6, 12), date(2018, 7, 31)) == [
        date(2018, 6, 12)
    ]
    # ...but not once the date itself has passed.
    assert simulate("before", date(2018, 6, 20), 14, date(2018, 6, 21), date(2018, 7, 31)) == []


def test_overdue_reminder_goes_every_seven_days_and_first_at_once_after_import() -> None:
    # Due Sunday 10 June: overdue from Monday 11 June; the first sweep is on 13 June.
    sent = simulate("every_after", date(2018, 6, 10), 7, date(2018, 6, 13), date(2018, 7, 16))
    assert sent == [date(2018, 6, 13), date(2018, 6, 20), date(2018, 6, 27), date(2018, 7, 4),
                    date(2018, 7, 11)]  # fmt: skip


def test_overdue_reminder_is_never_sent_before_the_action_is_overdue() -> None:
    # Due Thursday 21 June; the next working day after it is Monday 25 June.
    sent = simulate("every_after", date(2018, 6, 21), 7, date(2018, 6, 1), date(2018, 7, 3))
    assert sent == [date(2018, 6, 25), date(2018, 7, 2)]


def test_weekly_reminder_falling_on_a_holiday_goes_the_working_day_before() -> None:
    # Overdue since Thursday 31 May: Fri 1 June, then Fri 8, Fri 15, Fri 22 (midsommarafton
    # -> Thu 21), then 7 days after the 21st: Thu 28.
    sent = simulate("every_after", date(2018, 5, 31), 7, date(2018, 6, 1), date(2018, 6, 29))
    assert sent == [date(2018, 6, 1), date(2018, 6, 8), date(2018, 6, 15), date(2018, 6, 21),
                    date(2018, 6, 28)]  # fmt: skip


def test_escalation_states_a_fact_so_it_is_never_moved_earlier() -> None:
    # 30 days after Tuesday 23 May 2018 is Friday 22 June (midsommarafton): Monday 25 June.
    assert simulate("after", date(2018, 5, 23), 30, date(2018, 6, 1), date(2018, 7, 31)) == [
        date(2018, 6, 25)
    ]


def test_escalation_goes_out_once_per_due_date() -> None:
    old, new = date(2018, 3, 1), date(2018, 4, 2)
    sent_for_old = Sent(last=date(2018, 4, 3), anchors=frozenset([old]))
    assert not timer_is_due("after", old, 30, date(2018, 5, 7), CAL, sent_for_old)
    # The due date was moved and passed again: a new escalation.
    assert timer_is_due("after", new, 30, date(2018, 5, 7), CAL, sent_for_old)


def test_timers_apply_only_in_their_states() -> None:
    dates = {"due_on": date(2018, 6, 10), "evaluate_on": date(2018, 6, 27)}
    today = date(2018, 6, 13)
    open_due = due_timers(TIMERS, state="pagar", dates=dates, today=today, cal=CAL, sent={})
    assert [d.timer_id for d in open_due] == ["forsenad"]
    done_due = due_timers(TIMERS, state="klar", dates=dates, today=today, cal=CAL, sent={})
    assert [d.timer_id for d in done_due] == ["fore_utvardering"]
    final = due_timers(TIMERS, state="utvarderad", dates=dates, today=today, cal=CAL, sent={})
    assert final == []


def test_nothing_is_due_on_a_closed_day() -> None:
    dates = {"due_on": date(2018, 5, 1)}
    for d in (date(2018, 6, 22), date(2018, 6, 23), date(2018, 6, 24)):
        assert due_timers(TIMERS, state="pagar", dates=dates, today=d, cal=CAL, sent={}) == []


@settings(max_examples=300, deadline=None)
@given(
    anchor=st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 31)),
    start_offset=st.integers(min_value=-40, max_value=40),
    n=st.integers(min_value=0, max_value=30),
    kind=st.sampled_from(["before", "after", "every_after"]),
)
def test_daily_sweeps_obey_the_working_day_rules(
    anchor: date, start_offset: int, n: int, kind: str
) -> None:
    if kind == "every_after":
        n = max(n, 1)
    start = anchor + timedelta(days=start_offset)
    end = anchor + timedelta(days=80)
    sent = simulate(kind, anchor, n, start, end)
    assert all(CAL.is_working(d) for d in sent)
    assert len(set(sent)) == len(sent)
    if kind == "before":
        # On its day moved back to a working day, or at the first sweep if that was late,
        # and never after the date itself.
        expected = max(CAL.on_or_before(anchor - timedelta(days=n)), CAL.on_or_after(start))
        assert sent == ([expected] if expected <= anchor else [])
    elif kind == "after":
        assert sent == [CAL.on_or_after(max(anchor + timedelta(days=n), start))]
    else:
        assert sent, "an overdue action is always reminded"
        assert sent[0] == CAL.on_or_after(max(anchor + timedelta(days=1), start))
        for a, b in itertools.pairwise(sent):
            # n days later, moved back to a working day, but never the same day twice.
            assert b == max(CAL.on_or_before(a + timedelta(days=n)), CAL.next_working(a))
