from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from tracker.errors import NotFound, TrackerError
from tracker.models import Person, Role

# Deliberately loose: a real check is whether mail arrives; this catches typos like a
# missing @ or a space.
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return bool(EMAIL_RE.match(email.strip()))


def find_person(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == normalise_email(email))).first()


def get_person(session: Session, email: str) -> Person:
    person = find_person(session, email)
    if person is None:
        raise NotFound(f"Ingen person med e-postadressen {email.strip()}.")
    return person


def ensure_person(
    session: Session,
    email: str,
    *,
    now: datetime,
    name: str = "",
    role: Role = Role.owner,
    forvaltning: str = "",
) -> Person:
    """The person with this address, created if new; a given name replaces an empty one."""
    if not valid_email(email):
        raise TrackerError(f"Ogiltig e-postadress: '{email}'.")
    person = find_person(session, email)
    if person is None:
        person = Person(
            name=name.strip() or normalise_email(email),
            email=normalise_email(email),
            role=role.value,
            forvaltning=forvaltning,
            created_at=now,
        )
        session.add(person)
        session.flush()
    elif name.strip() and person.name != name.strip():
        person.name = name.strip()
        session.add(person)
    return person
