"""Giving åtgärder to an owner: one (`assign`, the way every path does it) or many of a plan at
once (`assign_many`, each through `assign`, so each writes its own event), all in the caller's
one transaction.

An assignment takes back, in the same transaction, the mail still waiting that told a former
owner the åtgärd was theirs (link_mail.take_back), whoever makes it: the web, the command
line, an import. Whether the new owner is told is the caller's choice: the web tells them
(`assign_with_link`, or link_mail.queue_assignments once for what `assign_many` says was just
assigned); the command line and an import do not, save a hand-over (services.handover).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from config import Settings
from tracker.domain.listing import swedish_key
from tracker.errors import Refused
from tracker.models import Action, Person, Plan
from tracker.services import actions, people
from tracker.services.link_mail import TakenBack, queue_assignments, take_back
from workflows import WorkflowRegistry

# More than a plan page shows at once is not a choice anyone made by hand.
MAX_PICKS = 5000

BOTH_OWNERS = "Välj en person i listan eller skriv en ny e-postadress, inte båda."


@dataclass(frozen=True)
class Pick:
    """An åtgärd ticked on the page, with the version the page showed of it."""

    action_id: int
    version: int


@dataclass
class Assigned:
    owner: Person
    # Given to the owner now, in the order they were picked; and those already theirs.
    assigned: list[Action] = field(default_factory=list)
    already: list[Action] = field(default_factory=list)


def assign(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    action_id: int,
    owner: Person,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
) -> list[TakenBack]:
    """Give the åtgärd to `owner` (actions.assign: the change and its event) and take back
    the mail still waiting that told a former owner it was theirs. Says what it took back."""
    actions.assign(
        session, action_id, owner, now=now, actor=actor, expected_version=expected_version
    )
    return take_back(session, registry, settings, [action_id], owner, now=now)


def assign_with_link(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    action: Action,
    plan: Plan,
    owner: Person,
    *,
    now: datetime,
    assigned_by: Person,
    typed_name: str = "",
    expected_version: int | None = None,
) -> str:
    """Give the åtgärd to `owner` and queue the e-mail with their link, in one transaction:
    an assignment from the web always tells the new owner. What the confirmation says
    (Swedish), with `typed_name` named when it was not the person's."""
    assert action.id is not None
    assign(
        session,
        registry,
        settings,
        action.id,
        owner,
        now=now,
        actor=assigned_by,
        expected_version=expected_version,
    )
    queue_assignments(
        session, registry, settings, owner, plan, [action], now=now, assigned_by=assigned_by
    )
    return (
        f"{people.new_owner_text(owner, typed_name)} Ett e-postmeddelande med länk ligger i "
        "utkorgen."
    )


def owner_candidates(session: Session, plan: Plan) -> list[Person]:
    """Whom the plan page offers as owner: the people of the plan's förvaltning and those who
    own an åtgärd in the plan already."""
    owners = select(Action.owner_id).where(Action.plan_id == plan.id)
    found = session.exec(
        select(Person).where(
            or_(col(Person.forvaltning) == plan.forvaltning, col(Person.id).in_(owners))
        )
    ).all()
    return sorted(found, key=lambda p: (swedish_key(p.name), p.email))


def choose_owner(
    session: Session,
    plan: Plan,
    *,
    person_id: int | None,
    email: str,
    name: str,
    now: datetime,
) -> Person:
    """The owner a form names: a person from owner_candidates, or one given by address (and
    name), found or created as services.people does it, with its checks."""
    if person_id is not None and email.strip():
        raise Refused(BOTH_OWNERS)
    if person_id is not None:
        chosen = next((p for p in owner_candidates(session, plan) if p.id == person_id), None)
        if chosen is None:
            raise Refused("Välj en person i listan.")
        return chosen
    if not email.strip():
        raise Refused(
            "Välj vem som ska bli ansvarig: en person i listan, eller en ny med namn och "
            "e-postadress."
        )
    return people.ensure_person(session, email, now=now, name=name, forvaltning=plan.forvaltning)


def assign_many(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    plan: Plan,
    picks: Sequence[Pick],
    owner: Person,
    *,
    now: datetime,
    actor: Person,
) -> Assigned:
    """Give each picked åtgärd of the plan to `owner`. Refused (nothing to be kept) for an
    åtgärd of another plan or one that has been withdrawn; Conflict for one changed since the
    page showed it."""
    if not picks:
        raise Refused("Välj minst en åtgärd i listan.")
    if len(picks) > MAX_PICKS:
        raise Refused(f"Välj högst {MAX_PICKS} åtgärder åt gången.")
    result = Assigned(owner)
    for pick in dict.fromkeys(picks):
        action = _pickable(session, registry, plan, pick.action_id)
        if action.owner_id == owner.id:
            result.already.append(action)
            continue
        assign(
            session,
            registry,
            settings,
            pick.action_id,
            owner,
            now=now,
            actor=actor,
            expected_version=pick.version,
        )
        result.assigned.append(action)
    return result


def _pickable(session: Session, registry: WorkflowRegistry, plan: Plan, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None or action.plan_id != plan.id:
        raise Refused(f"Åtgärd {action_id} hör inte till planen.")
    if registry.get(action.workflow).is_withdrawn(action.state):
        raise Refused(f"Åtgärd {action_id} utgår och kan inte få en ny ansvarig.")
    return action
