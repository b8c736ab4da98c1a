"""Decisions from a protokoll: an uploaded protokoll's text with the decisions drafted from it
(kept on its row while the chef reviews them), and the confirmation that makes the kept ones
åtgärder in the `protokoll` workflow, under the plan of the body and year. One use case per
function, in the caller's transaction; the web and the CLI call the same ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from config import Settings
from tracker.domain import protokoll as rules
from tracker.domain.listing import swedish_key
from tracker.domain.minutes import KnownPerson, extract_decisions
from tracker.domain.protokoll import Draft, DraftRefused
from tracker.domain.roles import may_edit
from tracker.errors import Conflict, Forbidden, NotFound, Refused
from tracker.models import Action, Person, Plan, Protokoll
from tracker.services import assigning, directory, people, plans
from workflows import WorkflowRegistry

# The workflow a decision from a protokoll follows (workflows/definitions/protokoll.toml).
PROTOKOLL_WORKFLOW = "protokoll"


class AlreadyConfirmed(Conflict):
    """The protokoll's decisions were confirmed before: nothing more is created."""


class DraftsChanged(Conflict):
    """Someone else saved the drafts after the page was loaded: nothing was saved or created."""


DRAFTS_CHANGED = (
    "Någon annan har sparat utkasten medan du arbetade, så ingenting sparades eller skapades. "
    "Dina ändringar står kvar nedan; jämför med det som nu är sparat och spara igen."
)


@dataclass
class Confirmed:
    protokoll: Protokoll
    plan: Plan
    created: list[Action] = field(default_factory=list)
    # The åtgärder given to each owner now, for the e-mail that tells them.
    by_owner: list[tuple[Person, list[Action]]] = field(default_factory=list)


def get_protokoll(session: Session, protokoll_id: int) -> Protokoll:
    found = session.get(Protokoll, protokoll_id)
    if found is None:
        raise NotFound(f"Inget protokoll med nummer {protokoll_id}.")
    return found


def list_protokoll(session: Session, forvaltning: str | None) -> list[Protokoll]:
    """The protokoll of a förvaltning (None: of every one), the latest meeting first."""
    query = select(Protokoll)
    if forvaltning is not None:
        query = query.where(Protokoll.forvaltning == forvaltning)
    return list(
        session.exec(query.order_by(col(Protokoll.meeting_on).desc(), col(Protokoll.id).desc()))
    )


def owner_choices(session: Session, forvaltning: str) -> list[Person]:
    """Whom a decision may be given to: the people of the protokoll's förvaltning as the
    people page lists them (directory.people_of; of every one, for a protokoll of none), by
    name."""
    found = directory.people_of(session, forvaltning or None)
    return sorted(found, key=lambda p: (swedish_key(p.name), p.email))


@dataclass(frozen=True)
class TypedOwner:
    """An owner given on the review page by name and e-mail address, for a person the list
    does not offer yet (the minutes name people the product has never heard of)."""

    name: str = ""
    email: str = ""

    @property
    def given(self) -> bool:
        return bool(self.name.strip() or self.email.strip())


@dataclass
class GivenOwners:
    """The drafts with each typed owner chosen, and what to tell the chef about the names."""

    drafts: list[Draft]
    # A typed name not taken because the address belongs to someone of another name.
    notes: list[str] = field(default_factory=list)


def give_typed_owners(
    session: Session,
    protokoll: Protokoll,
    drafts: Sequence[Draft],
    typed: Sequence[TypedOwner],
    *,
    now: datetime,
) -> GivenOwners:
    """Choose each owner typed by name and address for its draft, the person found or created
    by people.ensure_person (the one way a person is named, with its checks) as one of the
    protokoll's förvaltning, so the list offers them from now on. Refused, tied to the field,
    for an address or name ensure_person refuses, for a draft given both a person from the list
    and a typed one, and for an address of someone the page may not offer."""
    result = GivenOwners(list(drafts))
    typed_at: dict[int, Person] = {}
    for i, owner in enumerate(typed[: len(drafts)]):
        if not owner.given:
            continue
        if drafts[i].owner_id is not None:
            raise DraftRefused(
                f"Beslut {i + 1}: {assigning.BOTH_OWNERS}", field=rules.OWNER_EMAIL_FIELD, index=i
            )
        person = _typed_person(session, protokoll, i, owner, now=now)
        typed_at[i] = person
        result.drafts[i] = replace(drafts[i], owner_id=person.id)
        note = people.unused_name_note(person, owner.name)
        if note and note not in result.notes:
            result.notes.append(note)
    if typed_at:
        offered = {p.id for p in owner_choices(session, protokoll.forvaltning)}
        for i, person in typed_at.items():
            if person.id not in offered:
                raise DraftRefused(
                    f"Beslut {i + 1}: {person.email} hör till en person i en annan förvaltning. "
                    "Välj en ansvarig i listan eller skriv en annan e-postadress.",
                    field=rules.OWNER_EMAIL_FIELD,
                    index=i,
                )
    return result


def _typed_person(
    session: Session, protokoll: Protokoll, i: int, owner: TypedOwner, *, now: datetime
) -> Person:
    try:
        return people.ensure_person(
            session, owner.email, now=now, name=owner.name, forvaltning=protokoll.forvaltning
        )
    except Refused as exc:
        # ensure_person checks the address first, then the name: a refusal with an address
        # it takes is about the name.
        bad_address = people.email_problem(owner.email) is not None
        raise DraftRefused(
            f"Beslut {i + 1}: {exc.message}",
            field=rules.OWNER_EMAIL_FIELD if bad_address else rules.OWNER_NAME_FIELD,
            index=i,
        ) from None


def draft_from_text(
    session: Session,
    *,
    forvaltning: str,
    body: str,
    meeting_on: date | None,
    title: str,
    text: str,
    filename: str,
    now: datetime,
    actor: Person | None,
) -> Protokoll:
    """Store a protokoll and the decisions its text states, each matched against the people
    who may be given it. Nothing becomes an åtgärd until confirm()."""
    clean_body = body.strip()
    if not clean_body:
        raise DraftRefused(
            "Skriv vilket organ som sammanträdde, till exempel Ledningsgruppen.",
            field=rules.BODY_FIELD,
        )
    if len(clean_body) > rules.BODY_LIMIT:
        raise DraftRefused(
            f"Organets namn är för långt: högst {rules.BODY_LIMIT} tecken.",
            field=rules.BODY_FIELD,
        )
    if len(title.strip()) > rules.TITLE_LIMIT:
        raise DraftRefused(
            f"Rubriken är för lång: högst {rules.TITLE_LIMIT} tecken.", field=rules.TITLE_FIELD
        )
    if meeting_on is None:
        raise DraftRefused("Ange sammanträdets datum.", field=rules.DATE_FIELD)
    if not text.strip():
        raise DraftRefused(
            "Välj en fil (.txt, .docx eller .pdf) eller klistra in protokollets text.",
            field=rules.SOURCE_FIELD,
        )
    if len(text) > rules.TEXT_LIMIT:
        # The pasted text's box holds no more; a file's text is held to the same.
        length, most = (f"{n:,}".replace(",", " ") for n in (len(text), rules.TEXT_LIMIT))
        raise DraftRefused(
            f"Protokollets text är {length} tecken; högst {most} läses. Ladda upp "
            "protokollet utan bilagor.",
            field=rules.SOURCE_FIELD,
        )
    people = owner_choices(session, forvaltning)
    known = [KnownPerson(name=p.name, email=p.email) for p in people]
    by_email = {p.email: p.id for p in people}
    decisions = extract_decisions(text, known=known, meeting_on=meeting_on)
    drafts = [rules.from_decision(d, by_email.get(d.who_email.lower())) for d in decisions]
    return save_protokoll(
        session,
        forvaltning=forvaltning,
        body=clean_body,
        meeting_on=meeting_on,
        title=title.strip() or rules.default_title(clean_body, meeting_on),
        text=text,
        filename=filename,
        drafts=drafts,
        now=now,
        actor=actor,
    )


def save_protokoll(
    session: Session,
    *,
    forvaltning: str,
    body: str,
    meeting_on: date,
    title: str,
    text: str,
    filename: str,
    drafts: Sequence[Draft],
    now: datetime,
    actor: Person | None,
) -> Protokoll:
    row = Protokoll(
        forvaltning=forvaltning,
        body=body,
        meeting_on=meeting_on,
        title=title,
        text=text,
        filename=filename,
        drafts_json=rules.drafts_to_json(drafts),
        created_at=now,
        created_by=actor.id if actor else None,
    )
    session.add(row)
    session.flush()
    return row


def drafts_of(protokoll: Protokoll) -> list[Draft]:
    return rules.drafts_from_json(protokoll.drafts_json)


def check_seen(protokoll: Protokoll, seen: int) -> None:
    """DraftsChanged unless the drafts are still at version `seen`, the one the page showed."""
    if seen != protokoll.version:
        raise DraftsChanged(DRAFTS_CHANGED)


def save_drafts(
    session: Session, protokoll: Protokoll, drafts: Sequence[Draft], *, seen: int
) -> None:
    """Keep the chef's edits (and merges) of the drafts, to confirm later, if they are still
    at version `seen`: DraftsChanged if someone else saved them since."""
    _check_open(protokoll)
    check_seen(protokoll, seen)
    _check_owners(session, protokoll, drafts)
    _write_seen(session, protokoll, seen, drafts_json=rules.drafts_to_json(drafts))
    session.refresh(protokoll)


def confirm(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    protokoll: Protokoll,
    drafts: Sequence[Draft],
    *,
    seen: int,
    now: datetime,
    actor: Person,
) -> Confirmed:
    """Make each kept draft an åtgärd of the body's plan for the meeting's year (created in the
    protokoll's förvaltning if missing), given to its owner and linked to the protokoll and
    item. Once only: a second confirmation raises AlreadyConfirmed and creates nothing. Only
    from the drafts at version `seen`: DraftsChanged if someone else saved them since."""
    _check_open(protokoll)
    check_seen(protokoll, seen)
    kept = rules.check_kept(drafts)
    owners = _check_owners(session, protokoll, drafts)
    _write_seen(session, protokoll, seen, confirmed_at=now, confirmed_by=actor.id)
    plan = _plan_for(session, protokoll, now=now, actor=actor)
    area = plans.ensure_area(session, plan, protokoll.title)
    result = Confirmed(protokoll, plan)
    given: dict[int, list[Action]] = defaultdict(list)
    for draft in kept:
        assert draft.owner_id is not None  # check_kept refuses a kept draft without one
        owner = owners[draft.owner_id]
        action = plans.add_action(
            session,
            registry,
            area,
            now=now,
            text=draft.what,
            workflow=PROTOKOLL_WORKFLOW,
            actor=actor,
            tidsplan=draft.due_text.strip(),
            due_on=draft.due_on,
            follow_up=f"Återkommer till {draft.reports_to.strip()}."
            if draft.reports_to.strip()
            else "",
            protokoll_id=protokoll.id,
            protokoll_item=draft.item.strip() or None,
            protokoll_quote=draft.quote or None,
        )
        assert action.id is not None
        assigning.assign(session, registry, settings, action.id, owner, now=now, actor=actor)
        result.created.append(action)
        given[draft.owner_id].append(action)
    result.by_owner = [(owners[pid], listed) for pid, listed in given.items()]
    session.refresh(protokoll)
    protokoll.plan_id = plan.id
    protokoll.drafts_json = rules.drafts_to_json(drafts)
    session.add(protokoll)
    session.flush()
    return result


ALREADY_CONFIRMED = "Besluten i protokollet är redan bekräftade; inga nya åtgärder skapades."


def created_from(session: Session, protokoll: Protokoll) -> list[Action]:
    """The åtgärder confirmed from the protokoll, in the order they were created."""
    return list(
        session.exec(
            select(Action).where(Action.protokoll_id == protokoll.id).order_by(col(Action.id))
        )
    )


def _write_seen(session: Session, protokoll: Protokoll, seen: int, **values: object) -> None:
    """Write `values` by a conditional UPDATE on version `seen` of a protokoll not yet
    confirmed, raising the version. The check before it read the row outside this UPDATE:
    two requests can both pass it, and only one of them matches here."""
    written = session.connection().execute(
        update(Protokoll)
        .where(
            col(Protokoll.id) == protokoll.id,
            col(Protokoll.version) == seen,
            col(Protokoll.confirmed_at).is_(None),
        )
        .values(**values, version=seen + 1)
    )
    if written.rowcount == 1:
        return
    confirmed = session.exec(
        select(Protokoll.confirmed_at).where(Protokoll.id == protokoll.id)
    ).one()
    if confirmed is not None:
        raise AlreadyConfirmed(ALREADY_CONFIRMED)
    raise DraftsChanged(DRAFTS_CHANGED)


def _check_open(protokoll: Protokoll) -> None:
    if protokoll.confirmed_at is not None:
        raise AlreadyConfirmed(ALREADY_CONFIRMED)


def _check_owners(
    session: Session, protokoll: Protokoll, drafts: Sequence[Draft]
) -> dict[int, Person]:
    """The people the drafts name as owners, each one the page may offer."""
    offered = {p.id: p for p in owner_choices(session, protokoll.forvaltning) if p.id is not None}
    for i, d in enumerate(drafts):
        if d.owner_id is not None and d.owner_id not in offered:
            raise DraftRefused(
                f"Beslut {i + 1}: välj en ansvarig i listan.", field=rules.OWNER_FIELD, index=i
            )
    return offered


def _plan_for(session: Session, protokoll: Protokoll, *, now: datetime, actor: Person) -> Plan:
    title = rules.plan_title(protokoll.body, protokoll.meeting_on)
    plan = session.exec(
        select(Plan).where(Plan.title == title, Plan.forvaltning == protokoll.forvaltning)
    ).first()
    if plan is None:
        return plans.create_plan(
            session, now=now, title=title, forvaltning=protokoll.forvaltning, chef_id=actor.id
        )
    if not may_edit(actor, plan):
        raise Forbidden(f"Du kan inte lägga till åtgärder i planen {plan.title}.")
    return plan
