from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlmodel import Session, col, select

from notifications.address import AddressRefused, mail_address
from tracker.domain.minutes import KnownPerson
from tracker.domain.names import clean_name, same_name
from tracker.domain.roles import may_get_daily_summary
from tracker.errors import NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Person, Role
from tracker.services import directory

log = logging.getLogger(__name__)

# Deliberately loose: a real check is whether mail arrives; this catches typos like a
# missing @ or a space.
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")

EMPTY_EMAIL = "Skriv en e-postadress, till exempel namn@kommun.se."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why mail could never be sent to this address (Swedish), or None if it can be.

    The check is the one the SMTP adapter makes before sending, so an address taken here
    can go out: a domain like "kommunförvaltning.example" goes as IDNA, a local part like
    "åsa" needs a server with SMTPUTF8 (most have it; without, the message is marked failed
    with that reason).
    """
    stripped = email.strip()
    if not stripped:
        # "Ogiltig e-postadress: ''" reads as if something wrong had been typed.
        return EMPTY_EMAIL
    if not EMAIL_RE.match(stripped):
        return f"Ogiltig e-postadress: '{stripped}'."
    try:
        mail_address(normalise_email(stripped))
    except AddressRefused as exc:
        return exc.reason
    return None


def valid_email(email: str) -> bool:
    return email_problem(email) is None


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
    """The person with this address, created if new. A known person keeps their name: a
    given name only names one who has none, since an address typed into a form or a file is
    as likely to name a colleague as a mistake in their name (`unused_name` says which name
    was not taken; `rename` changes a name on purpose). Every way a person is named (web
    forms, CLI, the demo) comes through here, so the name is cleaned here (`clean_name`);
    the importer cleans its names the same way."""
    problem = email_problem(email)
    if problem:
        # A refusal of what was typed, as in add_person: pages answer it beside their form,
        # with the form as it was filled in, not with a bare error page.
        raise Refused(problem)
    given = _given_name(name)
    person = find_person(session, email)
    if person is None:
        person = Person(
            name=given or normalise_email(email),
            email=normalise_email(email),
            role=role.value,
            forvaltning=forvaltning,
            created_at=now,
        )
        session.add(person)
        session.flush()
    elif given and lacks_name(person):
        person.name = given
        session.add(person)
    return person


def lacks_name(person: Person) -> bool:
    """A person added without a name is shown by their address until one is given."""
    return not person.name or person.name == person.email


def unused_name(person: Person, name: str) -> str:
    """The name given for `person` that was not taken because the address already belongs to
    someone of another name; "" when none was given or it is theirs."""
    given = clean_name(name)
    return "" if not given or same_name(given, person.name) else given


def unused_name_note(person: Person, name: str) -> str:
    """What the confirmation says when the typed name was not used (Swedish); "" if it was."""
    unused = unused_name(person, name)
    if not unused:
        return ""
    return (
        f"Namnet {unused} som skrevs in användes inte, eftersom {person.email} redan hör till "
        f"{person.name}."
    )


def unused_name_warning(person: Person, name: str) -> str:
    """An import's warning (Swedish) for a row whose name is not that of the person with its
    address: the name is not taken, and how to change it if the file is right."""
    return (
        f"namnet '{unused_name(person, name)}' används inte: {person.email} hör redan till "
        f"{person.name} (ändra namnet med tracker person set {person.email} --name ...)"
    )


def new_owner_text(owner: Person, name: str) -> str:
    """The confirmation of an åtgärd given to `owner` by address (and `name`), in Swedish: the
    person by their own name and address, and the typed name when it was not theirs."""
    said = f"{owner.name} ({owner.email}) är nu ansvarig."
    note = unused_name_note(owner, name)
    return f"{said} {note} Är det namnet fel ändras det på personens sida." if note else said


def rename(session: Session, person: Person, name: str, *, actor_id: int | None) -> str:
    """Give the person a new name, on purpose (their page or `tracker person set`); the name
    they had."""
    given = _given_name(name)
    if not given:
        raise Refused("Skriv personens nya namn.")
    old = person.name
    person.name = given
    session.add(person)
    # The one record that a name was changed: a name shows on every plan and in every mail.
    log_after_commit(session.info, log, "person.renamed", person_id=person.id, by=actor_id)
    return old


def add_person(
    session: Session, email: str, *, now: datetime, name: str, role: Role, forvaltning: str
) -> Person:
    """A new person. An address already known is refused: that person's role and links are
    changed on their own page, never by adding them again."""
    problem = email_problem(email)
    if problem:
        raise Refused(problem)
    if find_person(session, email) is not None:
        raise Refused(f"Det finns redan en person med e-postadressen {normalise_email(email)}.")
    # A known förvaltning in other capitals would hold none of its plans (person_moves).
    directory.check_spelling(session, forvaltning.strip())
    return ensure_person(
        session, email, now=now, name=name, role=role, forvaltning=forvaltning.strip()
    )


def _given_name(name: str) -> str:
    """The name cleaned; "" when none was given. A name of nothing but control characters
    is refused rather than taken as no name, so a mistake is seen, not silently dropped."""
    cleaned = clean_name(name)
    if not cleaned and name.strip():
        raise Refused("Namnet innehåller bara tecken som inte kan visas. Skriv namnet igen.")
    return cleaned


def set_daily_summary(session: Session, person: Person, *, on: bool) -> Person:
    """Turn the person's daily summary of owners' reports on or off."""
    if on and not may_get_daily_summary(person):
        raise Refused(
            f"{person.name} är inte chef eller administratör; dagssammanfattningen är för "
            "dem som leder planer."
        )
    person.daily_summary = on
    session.add(person)
    return person


def known_people(session: Session) -> list[KnownPerson]:
    """Everyone with a name, to match the names in minutes against."""
    rows = session.exec(select(Person).where(Person.name != "").order_by(col(Person.id))).all()
    return [KnownPerson(name=p.name, email=p.email) for p in rows]
