"""Withdrawing an åtgärd ("Utgår") against a real database: a transition with a required
reason, kept in the history, never a delete; afterwards no reminder, no escalation, no call
before the återrapport, no new processläge; in the återrapport a row marked as withdrawn with
its reason, not late."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from tests.support import builders as b
from tests.support.documents import docx_text, find_in_order, html_rows, pdf_text
from tracker.app import App
from tracker.errors import Refused
from tracker.models import Action, Person
from tracker.services import actions, reports
from tracker.services.reminders import send_reminders

WEDNESDAY = date(2018, 1, 10)
REASON = "Utgår: ersätts av den nya rutinen för ekonomiskt bistånd."


def _plan(app: App, now: datetime, chef: Person) -> tuple[int, Person, int, int]:
    """A plan with a report coming, two overdue åtgärder of Anna's (one 40 days late, past the
    escalation), to withdraw one and keep the other as the control."""
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    plan, area = b.plan(app, now=now, chef=chef, next_report_on=WEDNESDAY + timedelta(days=10))
    gone = b.action(app, area, "Översyn av lokaler", now=now, owner=owner, due_on=date(2017, 12, 1))
    kept = b.action(
        app, area, "Ny resursfördelning", now=now, owner=owner, due_on=date(2017, 12, 1)
    )
    assert plan.id is not None and gone.id is not None and kept.id is not None
    return plan.id, owner, gone.id, kept.id


def _listed(app: App, now: datetime) -> tuple[set[int], set[int]]:
    """Which åtgärder today's digests list, and which have a reminder recorded as due."""
    result = send_reminders(app, now=now, dry_run=True)
    listed = {i for d in result.digests for _, ids in d.listed for i in ids}
    return listed, {action_id for action_id, _, _ in result.reminders}


def test_withdrawing_needs_a_reason_and_the_chef(app: App, chef: Person) -> None:
    now = b.at(WEDNESDAY)
    _, owner, gone, _ = _plan(app, now, chef)
    no_reason = "Låt utgå kräver en text: Varför utgår åtgärden"
    with app.transaction() as s, pytest.raises(Refused, match=no_reason):
        actions.move(s, app.registry, gone, "utga", chef, now=now, text="  ")
    with app.transaction() as s, pytest.raises(Refused, match="Bara chef får välja 'Låt utgå'"):
        actions.move(s, app.registry, gone, "utga", owner, now=now, text=REASON)
    with app.transaction() as s:
        assert s.get(Action, gone) is not None
        assert actions.get_action(s, gone).state == "pagar"


def test_a_withdrawn_action_stays_with_its_reason_in_the_history_and_takes_no_note(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    _, owner, gone, _ = _plan(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, gone, "utga", chef, now=now, text=REASON)
    with app.transaction() as s:
        action = s.exec(select(Action).where(Action.id == gone)).one()
        assert (action.state, action.progress_note) == ("utgar", REASON)
        last = actions.history(s, gone)[-1]
        assert (last.trigger, last.from_state, last.to_state, last.text) == (
            "utga",
            "pagar",
            "utgar",
            REASON,
        )
    for who in (owner, chef):
        with app.transaction() as s, pytest.raises(Refused, match="tar inget nytt processläge"):
            actions.report_progress(
                s, app.registry, gone, who, trigger="", text="Nytt läge", now=now
            )


def test_no_reminder_escalation_or_report_call_goes_out_for_a_withdrawn_action(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    _, _, gone, kept = _plan(app, now, chef)
    # Before: both are reminded of (the test could fail).
    listed, due = _listed(app, now)
    assert {gone, kept} <= listed and {gone, kept} <= due
    with app.transaction() as s:
        actions.move(s, app.registry, gone, "utga", chef, now=now, text=REASON)
    for days in (0, 1, 7, 14, 30):
        later = now + timedelta(days=days)
        listed, due = _listed(app, later)
        assert gone not in listed and gone not in due, later
    listed, due = _listed(app, now)
    assert kept in listed and kept in due


def test_the_report_shows_a_withdrawn_action_marked_with_its_reason_and_not_late(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    plan_id, _, gone, _ = _plan(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, gone, "utga", chef, now=now, text=REASON)
        snapshot = reports.build_snapshot(
            s, app.registry, plan_id, as_of=WEDNESDAY, now=now, tz=app.tz, draft_days=14
        )
    view = reports.compose(snapshot)
    assert [o.action for o in view.late] == ["Ny resursfördelning"]
    assert {c.label: c.count for c in view.by_timing}["Utgår"] == 1
    docs = reports.render(snapshot)
    rows = {r.action: r for r in html_rows(docs["html"].decode()) if r.kind == "action"}
    withdrawn = rows["Översyn av lokaler Åtgärden utgår."]
    assert withdrawn.note == REASON
    assert "Skäl till att åtgärden utgår" in withdrawn.note_line
    assert "Registrerat läge: Utgår." in withdrawn.facts
    assert "försenad" not in withdrawn.facts
    expected = ["Översyn av lokaler", "Åtgärden utgår.", REASON, "utgår, räknas inte"]
    assert find_in_order(pdf_text(docs["pdf"]), expected) == []
    assert find_in_order(docx_text(docs["docx"]), expected) == []


def test_a_report_as_of_before_the_withdrawal_shows_the_action_as_it_was(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    plan_id, _, gone, _ = _plan(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, gone, "utga", chef, now=now + timedelta(days=2), text=REASON)
    with app.transaction() as s:
        snapshot = reports.build_snapshot(
            s,
            app.registry,
            plan_id,
            as_of=WEDNESDAY,
            now=now + timedelta(days=3),
            tz=app.tz,
            draft_days=14,
        )
    by_id = {a.id: a for a in snapshot.actions()}
    assert by_id[gone].state == "pagar"
    assert {o.action for o in reports.compose(snapshot).late} == {
        "Översyn av lokaler",
        "Ny resursfördelning",
    }
