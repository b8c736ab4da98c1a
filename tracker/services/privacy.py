"""Personal data (GDPR): everything held about a person, and erasing it.

Erasing replaces name and address with a pseudonym everywhere the tracker keeps them, except
in issued återrapporter: those are public records and stay as they were issued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from tracker.models import (
    Absence,
    Action,
    ActionEvent,
    AreaEvent,
    OutboxMessage,
    Person,
    PlanEvent,
)
from tracker.services.access import revoke_links
from tracker.services.people import get_person


def export_person(session: Session, email: str) -> dict[str, Any]:
    """Everything held about the person with this address, as plain data (JSON-ready)."""
    person = get_person(session, email)
    label = f"{person.name} <{person.email}>"
    owned = session.exec(select(Action).where(Action.owner_id == person.id)).all()
    events = session.exec(
        select(ActionEvent)
        .where(
            or_(
                col(ActionEvent.actor_id) == person.id,
                col(ActionEvent.text).contains(person.email),
                col(ActionEvent.actor_label) == label,
            )
        )
        .order_by(col(ActionEvent.at))
    ).all()
    plan_events = session.exec(_plan_events_of(person.id, label, person.email)).all()
    mail = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.to_addr == person.email)
        .order_by(col(OutboxMessage.created_at))
    ).all()
    return {
        "person": {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "role": person.role,
            "forvaltning": person.forvaltning,
            "created_at": person.created_at.isoformat(),
            "links_valid_after": (
                person.links_valid_after.isoformat() if person.links_valid_after else None
            ),
        },
        "actions_owned": [
            {
                "id": a.id,
                "plan_id": a.plan_id,
                "text": a.text,
                "state": a.state,
                "progress_note": a.progress_note,
            }
            for a in owned
        ],
        "history": [
            {
                "action_id": e.action_id,
                "at": e.at.isoformat(),
                "trigger": e.trigger,
                "actor": e.actor_label,
                "text": e.text,
            }
            for e in events
        ],
        "plan_history": [
            {
                "plan_id": e.plan_id,
                "at": e.at.isoformat(),
                "field": e.field,
                "actor": e.actor_label,
                "old": e.old,
                "new": e.new,
            }
            for e in plan_events
        ],
        "area_history": [
            {"area_id": e.area_id, "at": e.at.isoformat(), "field": e.field, "actor": e.actor_label}
            for e in session.exec(_area_events_of(person.id, label)).all()
        ],
        # Their own absences (when they were away) and those they stood in for.
        "absences": [
            {
                "person_id": a.person_id,
                "deputy_id": a.deputy_id,
                "starts_on": a.starts_on.isoformat(),
                "ends_on": a.ends_on.isoformat(),
            }
            for a in session.exec(
                select(Absence)
                .where(
                    or_(col(Absence.person_id) == person.id, col(Absence.deputy_id) == person.id)
                )
                .order_by(col(Absence.starts_on))
            ).all()
        ],
        "emails": [
            {
                "id": m.id,
                "kind": m.kind,
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "text": m.body_text,
            }
            for m in mail
        ],
    }


def erase_person(session: Session, email: str, *, now: datetime) -> Person:
    """Pseudonymise a person everywhere but in issued reports, and revoke their links."""
    person = get_person(session, email)
    assert person.id is not None
    old_label = f"{person.name} <{person.email}>"
    old_email = person.email
    pseudonym = f"Person {person.id}"
    new_email = f"raderad-{person.id}@invalid"
    new_label = f"{pseudonym} <{new_email}>"

    events = session.exec(
        select(ActionEvent).where(
            or_(
                col(ActionEvent.actor_id) == person.id,
                col(ActionEvent.actor_label) == old_label,
                col(ActionEvent.text).contains(old_email),
            )
        )
    ).all()
    for event in events:
        if event.actor_id == person.id or event.actor_label == old_label:
            event.actor_label = new_label
        event.text = event.text.replace(old_label, new_label).replace(old_email, new_email)
        session.add(event)

    for plan_event in session.exec(_plan_events_of(person.id, old_label, old_email)).all():
        if plan_event.actor_id == person.id or plan_event.actor_label == old_label:
            plan_event.actor_label = new_label
        # An address among the nämnd's recipients is in the plan's history too.
        plan_event.old = plan_event.old.replace(old_email, new_email)
        plan_event.new = plan_event.new.replace(old_email, new_email)
        session.add(plan_event)

    for area_event in session.exec(_area_events_of(person.id, old_label)).all():
        area_event.actor_label = new_label
        session.add(area_event)

    # Mail already sent keeps its record but loses its content; mail not yet sent is dropped.
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.to_addr) == old_email)
        .values(
            to_addr=new_email,
            subject="(raderat)",
            body_text="",
            body_html="",
            status="failed",
            last_error="Mottagaren raderad (GDPR).",
        )
        .where(col(OutboxMessage.status).in_(["pending", "sending", "failed"]))
    )
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.to_addr) == old_email)
        .values(to_addr=new_email, subject="(raderat)", body_text="", body_html="")
    )

    person.name = pseudonym
    person.email = new_email
    revoke_links(session, person, now=now)
    session.flush()
    # A name written inside a processläge is the author's words: export_person shows it for
    # manual review rather than having it rewritten blindly here.
    return person


def _plan_events_of(person_id: int | None, label: str, email: str) -> Any:
    """The plan history rows made by the person or naming their address."""
    return (
        select(PlanEvent)
        .where(
            or_(
                col(PlanEvent.actor_id) == person_id,
                col(PlanEvent.actor_label) == label,
                col(PlanEvent.old).contains(email),
                col(PlanEvent.new).contains(email),
            )
        )
        .order_by(col(PlanEvent.at))
    )


def _area_events_of(person_id: int | None, label: str) -> Any:
    """The utvecklingsområden's history rows the person made (area texts name no one)."""
    return (
        select(AreaEvent)
        .where(or_(col(AreaEvent.actor_id) == person_id, col(AreaEvent.actor_label) == label))
        .order_by(col(AreaEvent.at))
    )
