from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.schedule import ScheduleStatus, schedule_status

DUE = date(2018, 3, 31)
EVAL = date(2018, 10, 31)


@pytest.mark.parametrize(
    ("today", "done", "final", "expected"),
    [
        (date(2018, 3, 31), False, False, ScheduleStatus.on_track),
        (date(2018, 4, 1), False, False, ScheduleStatus.overdue),
        (date(2018, 4, 1), True, False, ScheduleStatus.on_track),
        (date(2018, 11, 1), True, False, ScheduleStatus.evaluation_overdue),
        (date(2018, 11, 1), True, True, ScheduleStatus.on_track),
        (date(2018, 11, 1), False, False, ScheduleStatus.overdue),
    ],
)
def test_schedule_status_is_derived_from_dates_and_state(
    today: date, done: bool, final: bool, expected: ScheduleStatus
) -> None:
    got = schedule_status(done=done, final=final, due_on=DUE, evaluate_on=EVAL, today=today)
    assert got == expected


def test_action_without_dates_is_never_late() -> None:
    got = schedule_status(
        done=False, final=False, due_on=None, evaluate_on=None, today=date(2030, 1, 1)
    )
    assert got == ScheduleStatus.on_track


def test_a_withdrawn_action_is_never_late_whatever_its_dates() -> None:
    from workflows import default_registry

    state = default_registry().get("atgard").definition.state("utgar")
    assert state.withdrawn
    for today in (date(2018, 4, 1), date(2018, 11, 1), date(2030, 1, 1)):
        got = schedule_status(
            done=state.done, final=state.final, due_on=DUE, evaluate_on=EVAL, today=today
        )
        assert got == ScheduleStatus.on_track
