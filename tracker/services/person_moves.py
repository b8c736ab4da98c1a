"""Moving a person to another förvaltning: the web's person page and `tracker person add
--forvaltning` both come here."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from tracker.errors import Refused
from tracker.models import Person, Plan
from tracker.services import directory, plan_settings

# As the förvaltning of a plan (tracker.models.plan) may be long.
FORVALTNING_LIMIT = 200


def move_person(
    session: Session, person: Person, forvaltning: str, *, now: datetime, actor: Person | None
) -> str:
    """Put `person` in `forvaltning` ("" for none); the förvaltning they were in. A plan that
    names them as its chef and is not of their new förvaltning stops naming them. A known
    förvaltning spelled otherwise is refused (directory.check_spelling)."""
    where = forvaltning.strip()
    if len(where) > FORVALTNING_LIMIT:
        raise Refused(f"Förvaltningens namn får vara högst {FORVALTNING_LIMIT} tecken.")
    old = person.forvaltning
    if where == old:
        return old
    directory.check_spelling(session, where)
    person.forvaltning = where
    session.add(person)
    session.flush()
    for plan in session.exec(select(Plan).where(Plan.chef_id == person.id)).all():
        plan_settings.release_named_chef(session, plan, now=now, actor=actor)
    return old
