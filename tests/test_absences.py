"""A chef away, and who stands in: escalations, the owners' replies and the right to
acknowledge go to the deputy for the days of the absence, and back afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.support import builders as b
from tests.test_escalations import CAL, WEDNESDAY, events, late, steps, sweep_on
from tracker.app import App
from tracker.domain.absence import (
    ALREADY_OVER,
    ENDS_BEFORE_START,
    SELF_DEPUTY,
    TOO_LONG,
    period_problem,
    stand_in,
)
from tracker.errors import Forbidden, NotFound, Refused
from tracker.models import Person, Role
from tracker.services import absences, escalations
from tracker.services.actions import ESCALATED

NOW = b.at(date(2018, 1, 8))
TODAY = date(2018, 1, 8)


def deputy_for(app: App) -> Person:
    """A chef of another förvaltning: not one of the plan's chefs in her own right."""
    return b.person(
        app,
        "dana.ersattare@pitea.example",
        "Dana Ersättare",
        now=NOW,
        role=Role.chef,
        forvaltning="Kommunledningsförvaltningen",
    )


def away(app: App, user: Person, person: Person, deputy: Person, start: date, end: date) -> int:
    with app.transaction() as s:
        absence = absences.add_absence(
            s, user, person, deputy, starts_on=start, ends_on=end, now=NOW, today=TODAY
        )
        assert absence.id is not None
        return absence.id


# --- the rule --------------------------------------------------------------------------------


def test_a_deputy_away_too_passes_it_on_and_a_circle_leaves_it_with_the_person() -> None:
    assert stand_in(1, {}) == 1
    assert stand_in(1, {1: 2}) == 2
    assert stand_in(1, {1: 2, 2: 3}) == 3
    assert stand_in(1, {1: 2, 2: 1}) == 1
    assert stand_in(1, {1: 2, 2: 3, 3: 2}) == 1


def test_a_period_is_checked_against_itself_and_today() -> None:
    today = date(2018, 6, 1)
    assert period_problem(date(2018, 7, 1), date(2018, 7, 31), today) is None
    assert period_problem(date(2018, 5, 1), date(2018, 6, 1), today) is None  # still going on
    assert period_problem(date(2018, 7, 31), date(2018, 7, 1), today) == ENDS_BEFORE_START
    assert period_problem(date(2018, 5, 1), date(2018, 5, 31), today) == ALREADY_OVER
    assert period_problem(date(2018, 7, 1), date(2019, 6, 30), today) is None
    assert period_problem(date(2018, 7, 1), date(2019, 7, 2), today) == TOO_LONG


# --- registering ------------------------------------------------------------------------------


def test_a_chef_registers_their_own_absence_and_an_admin_anyones(app: App, chef: Person) -> None:
    deputy = deputy_for(app)
    other = b.person(app, "ulf@pitea.example", "Ulf Chef", now=NOW, role=Role.chef)
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=NOW, role=Role.admin)
    away(app, chef, chef, deputy, date(2018, 7, 2), date(2018, 7, 27))
    with app.transaction() as s, pytest.raises(Forbidden):
        absences.add_absence(
            s,
            chef,
            other,
            deputy,
            starts_on=date(2018, 7, 2),
            ends_on=date(2018, 7, 27),
            now=NOW,
            today=TODAY,
        )
    away(app, admin, other, deputy, date(2018, 7, 2), date(2018, 7, 27))
    with app.transaction() as s:
        listed = [
            (v.person.email, v.deputy.email, v.absence.starts_on)
            for v in absences.list_absences(s, today=TODAY)
        ]
    assert listed == [
        (chef.email, deputy.email, date(2018, 7, 2)),
        (other.email, deputy.email, date(2018, 7, 2)),
    ]


@pytest.mark.parametrize(
    ("deputy_email", "start", "end", "message"),
    [
        ("malin.westling@pitea.example", date(2018, 7, 2), date(2018, 7, 27), SELF_DEPUTY),
        ("bo.ek@pitea.example", date(2018, 7, 2), date(2018, 7, 27), "kan inte vara ersättare"),
        ("dana.ersattare@pitea.example", date(2018, 7, 27), date(2018, 7, 2), ENDS_BEFORE_START),
        ("dana.ersattare@pitea.example", date(2017, 7, 3), date(2017, 7, 28), ALREADY_OVER),
        ("dana.ersattare@pitea.example", date(2018, 7, 20), date(2018, 8, 10), "överlappar"),
    ],
)
def test_what_cannot_be_an_absence_is_refused_with_the_reason(
    app: App, chef: Person, deputy_email: str, start: date, end: date, message: str
) -> None:
    deputy_for(app)
    b.person(app, "bo.ek@pitea.example", "Bo Ek", now=NOW)
    away(app, chef, chef, deputy_for(app), date(2018, 7, 2), date(2018, 7, 27))
    with app.transaction() as s:
        deputy = s.exec(select(Person).where(Person.email == deputy_email)).one()
        with pytest.raises(Refused, match=message):
            absences.add_absence(
                s, chef, chef, deputy, starts_on=start, ends_on=end, now=NOW, today=TODAY
            )
    with app.transaction() as s:
        assert len(absences.list_absences(s, today=TODAY)) == 1


def test_an_absence_is_removed_by_whoever_may_register_it(app: App, chef: Person) -> None:
    deputy = deputy_for(app)
    absence_id = away(app, chef, chef, deputy, date(2018, 7, 2), date(2018, 7, 27))
    with app.transaction() as s, pytest.raises(Forbidden):
        absences.remove_absence(s, deputy, absence_id)
    with app.transaction() as s:
        removed = absences.remove_absence(s, chef, absence_id)
        assert removed.person.email == chef.email
    with app.transaction() as s:
        assert absences.list_absences(s, today=TODAY) == []
        with pytest.raises(NotFound):
            absences.remove_absence(s, chef, absence_id)


# --- what the sweep sends ----------------------------------------------------------------------


def test_while_the_chef_is_away_the_escalation_goes_to_the_deputy_who_may_acknowledge_it(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    deputy = deputy_for(app)
    away(app, chef, chef, deputy, date(2018, 1, 8), date(2018, 1, 12))

    first = sweep_on(app, WEDNESDAY)
    assert steps(app) == [("chef", deputy.email, WEDNESDAY)]
    to = {d.to for d in first.digests}
    assert deputy.email in to and chef.email not in to
    owner_mail = next(d for d in first.digests if d.to == w.owner.email)
    assert owner_mail.message.reply_to == deputy.email
    [text] = [e.text for e in events(app, w.action_id, ESCALATED)]
    assert (
        "eskalerad till chef: Dana Ersättare <dana.ersattare@pitea.example> "
        "(ersättare för Malin Westling)"
    ) in text

    # The step was sent to the deputy: their link may acknowledge it.
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            deputy,
            comment="Vi har pratat; klart i februari.",
            new_due_on=None,
            now=b.at(date(2018, 1, 11)),
            today=date(2018, 1, 11),
            logged_in=False,
        )
        assert escalations.pending(s, app.registry, w.action_id, CAL) is None


def test_after_the_absence_the_chef_gets_it_again(app: App, chef: Person) -> None:
    w = late(app, chef)
    deputy = deputy_for(app)
    away(app, chef, chef, deputy, date(2018, 1, 8), date(2018, 1, 9))
    first = sweep_on(app, WEDNESDAY)
    assert steps(app) == [("chef", chef.email, WEDNESDAY)]
    owner_mail = next(d for d in first.digests if d.to == w.owner.email)
    assert owner_mail.message.reply_to == chef.email


def test_a_level_holder_away_passes_the_climb_to_their_deputy(app: App, chef: Person) -> None:
    w = late(app, chef)
    deputy = deputy_for(app)
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=NOW, role=Role.admin)
    away(app, admin, w.fc, deputy, date(2018, 1, 15), date(2018, 1, 19))
    sweep_on(app, WEDNESDAY)
    climbed = sweep_on(app, date(2018, 1, 18))
    assert [(s.level.id, s.recipients[0].email) for s in climbed.steps] == [
        ("forvaltningschef", deputy.email)
    ]
    texts = [e.text for e in events(app, w.action_id, ESCALATED)]
    assert "(ersättare för Frida Förvaltningschef)" in texts[-1]


def test_the_deputy_answers_for_what_was_sent_to_the_chef_before_the_absence(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    deputy = deputy_for(app)
    sweep_on(app, WEDNESDAY)  # to the chef, who leaves the next week
    away(app, chef, chef, deputy, date(2018, 1, 15), date(2018, 1, 19))

    def pending(day: date) -> list[int]:
        with app.transaction() as s:
            found = escalations.pending_for(s, app.registry, deputy, CAL, today=day)
            return [p.action.id or 0 for p in found]

    assert pending(date(2018, 1, 12)) == []
    assert pending(date(2018, 1, 15)) == [w.action_id]
    assert pending(date(2018, 1, 22)) == []
    with app.transaction() as s, pytest.raises(Forbidden):
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            deputy,
            comment="Sett.",
            new_due_on=None,
            now=b.at(date(2018, 1, 12)),
            today=date(2018, 1, 12),
            logged_in=True,
        )
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            deputy,
            comment="Malin är på semester; jag har pratat med Bo.",
            new_due_on=None,
            now=b.at(date(2018, 1, 16)),
            today=date(2018, 1, 16),
            logged_in=True,
        )
    assert pending(date(2018, 1, 16)) == []
