"""When an unanswered escalation climbs, and what a workflow file may say about it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.escalation import (
    StepSent,
    answer_by,
    new_schedule_line,
    next_level,
    still_waits,
)
from tracker.domain.workdays import WorkCalendar
from workflows import DefinitionError
from workflows.definition import parse_definition

CAL = WorkCalendar()
WEDNESDAY = date(2018, 1, 10)
ALL_STAFFED = (True, True, True)


def climb(steps: list[StepSent], today: date, **kw: object) -> int | None:
    args: dict[str, object] = {
        "acknowledged": False,
        "applies": True,
        "staffed": ALL_STAFFED,
        "within": 5,
        "today": today,
        "cal": CAL,
    }
    args.update(kw)
    return next_level(steps, **args)  # type: ignore[arg-type]


def test_five_working_days_to_answer_skip_the_weekend() -> None:
    # Thursday, Friday, Monday, Tuesday, Wednesday.
    assert answer_by(WEDNESDAY, 5, CAL) == date(2018, 1, 17)
    sent = [StepSent(0, WEDNESDAY)]
    assert climb(sent, date(2018, 1, 17)) is None
    assert climb(sent, date(2018, 1, 18)) == 1


def test_easter_holidays_are_not_working_days_to_answer_in() -> None:
    # Sent Wednesday before Easter 2018: långfredag 30 March and annandag påsk 2 April do
    # not count, so the five days are 29 March and 3, 4, 5, 6 April.
    sent_on = date(2018, 3, 28)
    assert answer_by(sent_on, 5, CAL) == date(2018, 4, 6)
    assert climb([StepSent(0, sent_on)], date(2018, 4, 6)) is None
    assert climb([StepSent(0, sent_on)], date(2018, 4, 9)) == 1


def test_nothing_climbs_on_a_closed_day() -> None:
    assert climb([StepSent(0, WEDNESDAY)], date(2018, 1, 20)) is None  # a Saturday


def test_the_top_level_stays_where_it_is() -> None:
    steps = [StepSent(0, WEDNESDAY), StepSent(1, date(2018, 1, 18)), StepSent(2, date(2018, 1, 26))]
    assert climb(steps, date(2018, 3, 1)) is None


def test_each_level_has_its_own_time_to_answer() -> None:
    steps = [StepSent(0, WEDNESDAY), StepSent(1, date(2018, 1, 18))]
    assert climb(steps, date(2018, 1, 25)) is None
    assert climb(steps, date(2018, 1, 26)) == 2


def test_a_level_nobody_holds_is_passed_over() -> None:
    sent = [StepSent(0, WEDNESDAY)]
    assert climb(sent, date(2018, 1, 18), staffed=(True, False, True)) == 2
    assert climb(sent, date(2018, 1, 18), staffed=(True, False, False)) is None


def test_an_acknowledged_or_no_longer_late_escalation_climbs_no_more() -> None:
    sent = [StepSent(0, WEDNESDAY)]
    assert climb(sent, date(2018, 2, 1), acknowledged=True) is None
    assert climb(sent, date(2018, 2, 1), applies=False) is None


def test_an_escalation_waits_only_while_its_atgard_is_late_from_its_date() -> None:
    late = ("ej_paborjat", "pagar")
    anchor = date(2017, 12, 1)
    assert still_waits("pagar", anchor, anchor, late)
    assert not still_waits("klar", anchor, anchor, late)
    assert not still_waits("utgar", anchor, anchor, late)
    assert not still_waits("pagar", date(2018, 5, 31), anchor, late)


def test_the_new_schedule_line_names_both_months() -> None:
    line = new_schedule_line(date(2018, 5, 31), date(2018, 3, 31))
    assert line == "Ny tidplan: klart till maj 2018 (ursprungligen mars 2018)"
    assert new_schedule_line(date(2018, 3, 31), None) == ""


BASE = """
name = "prov"
label = "Prov"
initial = "a"
[[states]]
id = "a"
label = "A"
[[timers]]
id = "eskalering"
label = "Försenad"
kind = "after"
date = "due_on"
days = 30
states = ["a"]
"""


def test_escalation_keys_are_read_from_the_workflow_file() -> None:
    text = BASE + (
        'recipient = "chef"\nacknowledge_within = 5\n'
        'levels = [{ id = "chef", label = "Chef" }, { id = "fc", label = "Förvaltningschef" }]\n'
    )
    timer = parse_definition(text, Path("prov.toml")).timers[0]
    assert timer.awaits_answer and timer.acknowledge_within == 5
    assert [lv.label for lv in timer.escalation_levels()] == ["Chef", "Förvaltningschef"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "acknowledge_within = 5\n",
            'acknowledge_within gäller bara en eskalering (recipient = "chef")',
        ),
        (
            'recipient = "chef"\nlevels = [{ id = "chef", label = "Chef" }]\n',
            "levels kräver acknowledge_within",
        ),
        (
            'recipient = "chef"\nacknowledge_within = 5\nlevels = [{ id = "fc", label = "F" }]\n',
            'levels: den första nivån ska vara "chef"',
        ),
        (
            'recipient = "chef"\nacknowledge_within = 5\n'
            'levels = [{ id = "chef", label = "C" }, { id = "chef", label = "C" }]\n',
            "levels: samma nivå förekommer flera gånger",
        ),
        ('recipient = "chef"\nacknowledge_within = 0\n', "acknowledge_within"),
    ],
)
def test_a_broken_escalation_is_refused_in_swedish(extra: str, message: str) -> None:
    with pytest.raises(DefinitionError) as err:
        parse_definition(BASE + extra, Path("prov.toml"))
    assert message in str(err.value) and "prov.toml" in str(err.value)
