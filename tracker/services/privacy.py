"""Personal data (GDPR): everything held about a person, and erasing it.

Erasing replaces name and address with a pseudonym everywhere the tracker keeps them, except
in issued documents (återrapporter, granskning follow-ups): those are public records and stay
as they were issued. ERASED and KEPT below name every column that can hold personal data; a
test walks the schema and fails on one that is in neither, so a new table gets decided on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from tracker.domain import protokoll as drafts_rules
from tracker.models import (
    Absence,
    Action,
    ActionEvent,
    ApiToken,
    AreaEvent,
    Audit,
    AuditDocument,
    ControlPoint,
    ControlRisk,
    Escalation,
    EscalationHolder,
    LoginSession,
    OutboxMessage,
    Person,
    Plan,
    PlanEvent,
    Protokoll,
    Report,
    SentSummary,
)
from tracker.models.report import DRAFT_STATE
from tracker.services import actions, audits, plan_settings
from tracker.services.access import revoke_links
from tracker.services.people import get_person

# A reference to the person: export lists the row, and erasing leaves it pointing at the
# pseudonymised person (their name and address are in person, nowhere else).
_BY_ID = "a reference to the person: listed by export; points at the pseudonym after erase"

# Columns that export shows and erase pseudonymises (or empties), "table.column": how.
ERASED: dict[str, str] = {
    "person.name": "replaced by the pseudonym ('Person 17')",
    "person.email": "replaced by the pseudonymous address (raderad-17@invalid)",
    "action.owner_id": _BY_ID,
    "action_event.actor_id": _BY_ID,
    "action_event.actor_label": "'Name <address>' replaced by the pseudonym's",
    "area_event.actor_id": _BY_ID,
    "area_event.actor_label": "'Name <address>' replaced by the pseudonym's",
    "plan.chef_id": _BY_ID,
    "plan.board_recipients": "the address taken off the nämnd's recipients (in the history)",
    "plan.signatory_name": "the name replaced by the pseudonym (in the history)",
    "plan_event.actor_id": _BY_ID,
    "plan_event.actor_label": "'Name <address>' replaced by the pseudonym's",
    "absence.person_id": _BY_ID,
    "absence.deputy_id": _BY_ID,
    "api_token.created_by_id": _BY_ID,
    "login_session.person_id": _BY_ID + "; erasing ends every log-in",
    "sent_summary.person_id": _BY_ID,
    "escalation.sent_to": "person ids: " + _BY_ID,
    "escalation.acknowledged_by": _BY_ID,
    "escalation_holder.person_id": _BY_ID,
    "control_risk.handling_owner_id": _BY_ID,
    "control_point.owner_id": _BY_ID,
    "protokoll.created_by": _BY_ID,
    "protokoll.confirmed_by": _BY_ID,
    "granskning.recipient_email": "the address emptied: nothing more is sent to it",
    "granskning.signatory_name": "the name replaced by the pseudonym",
    "outbox_message.to_addr": "replaced; unsent mail to the person is stopped, sent mail emptied",
    "outbox_message.reply_to": "the address replaced by the pseudonymous one",
    "report.created_by": "replaced in a draft; an issued återrapport keeps it (allmän handling)",
    "report.approved_by": "replaced in a draft; an issued återrapport keeps it (allmän handling)",
}
# Texts outside the columns above that erase also rewrites, name and address alike, as the
# product wrote them: plan_event.old/new (internkontroll and settings history), every outbox
# message's subject and bodies, the drafts of a protokoll (protokoll.drafts_json) and the
# snapshot of a draft återrapport. action_event.text gets the label and the address only.

# The minutes of a meeting as uploaded, and texts people wrote, are a document and their
# authors' words: not rewritten, but listed by export where they name the person, for review.
_MINUTES = "the protokoll's minutes as uploaded: the meeting's own document"
_AUTHORED = "an author's words: export lists where they name the person, for review by hand"

# Columns that look personal but are left as they are on purpose, "table.column": why.
KEPT: dict[str, str] = {
    "granskning_dokument.issued_by": "an issued granskning follow-up is an allmän handling",
    "granskning_dokument.sent_to": "an issued granskning follow-up is an allmän handling",
    "api_token.name": "names the program that reads the API, not a person",
    "outbox_message.claimed_by": "the id of the dispatcher process that sent the mail",
    "control_risk.name": "the name of a risk, not of a person",
    "indicator.name": "the name of an indicator, not of a person",
    "action_event.to_state": "a workflow state",
    "protokoll.text": _MINUTES,
    "action.protokoll_quote": _MINUTES,
    "action.text": _AUTHORED,
    "action.progress_note": _AUTHORED,
    "escalation.comment": _AUTHORED,
}


@dataclass(frozen=True)
class _Pseudonym:
    """A person's name and address, then and after erasing."""

    name: str
    email: str
    new_name: str
    new_email: str

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def new_label(self) -> str:
        return f"{self.new_name} <{self.new_email}>"

    def scrub(self, text: str, *, bare_name: bool = True) -> str:
        """`text` with the label and the address (any case) replaced, and the name standing
        alone too unless `bare_name` is False (an author's words keep their names)."""
        out = text.replace(self.label, self.new_label)
        out = re.sub(re.escape(self.email), self.new_email, out, flags=re.IGNORECASE)
        if bare_name and self.name.strip():
            out = re.sub(rf"(?<!\w){re.escape(self.name)}(?!\w)", self.new_name, out)
        return out


def _mentions(column: Any, person: Person) -> ColumnElement[bool]:
    """The rows whose text names the person by address or by name."""
    named = [col(column).icontains(person.email, autoescape=True)]
    if person.name.strip():
        named.append(col(column).contains(person.name, autoescape=True))
    return or_(*named)


def _protokoll_of(session: Session, person: Person) -> list[tuple[Protokoll, bool, bool]]:
    """Each protokoll whose drafts, upload or confirmation involve the person, with whether
    its drafts and its minutes name them."""
    found = []
    candidates = select(Protokoll).where(
        or_(
            col(Protokoll.created_by) == person.id,
            col(Protokoll.confirmed_by) == person.id,
            col(Protokoll.drafts_json).contains(f'"owner_id": {person.id}'),
            _mentions(Protokoll.drafts_json, person),
            _mentions(Protokoll.text, person),
        )
    )
    for p in session.exec(candidates.order_by(col(Protokoll.id))).all():
        drafts = drafts_rules.drafts_from_json(p.drafts_json)
        in_drafts = any(d.owner_id == person.id for d in drafts) or _names(p.drafts_json, person)
        in_text = _names(p.text, person)
        if in_drafts or in_text or person.id in (p.created_by, p.confirmed_by):
            found.append((p, in_drafts, in_text))
    return found


def _names(text: str, person: Person) -> bool:
    return person.email in text.lower() or bool(person.name.strip() and person.name in text)


def export_person(session: Session, email: str) -> dict[str, Any]:
    """Everything held about the person with this address, as plain data (JSON-ready)."""
    person = get_person(session, email)
    exported: dict[str, Any] = {
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
    }
    for section in _EXPORTED:
        exported |= section(session, person)
    return exported


def _exported_actions(session: Session, person: Person) -> dict[str, Any]:
    """Åtgärder they own or that name them, and the history of the åtgärder they acted in or are
    named in."""
    owned = session.exec(select(Action).where(Action.owner_id == person.id)).all()
    events = session.exec(_action_events_of(person)).all()
    return {
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
        # Åtgärder whose texts, as their authors wrote them, name the person: not rewritten
        # by erase, for review by hand.
        "actions_naming": [
            {"id": a.id, "plan_id": a.plan_id, "text": a.text, "quote": a.protokoll_quote}
            for a in session.exec(
                select(Action)
                .where(
                    or_(
                        _mentions(Action.text, person),
                        _mentions(Action.progress_note, person),
                        _mentions(Action.protokoll_quote, person),
                    )
                )
                .order_by(col(Action.id))
            ).all()
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
    }


def _exported_plans(session: Session, person: Person) -> dict[str, Any]:
    """Plans they lead, receive the återrapport of or sign, and the plans' and areas' history
    that names them."""
    label = f"{person.name} <{person.email}>"
    plan_events = session.exec(_plan_events_of(person)).all()
    return {
        # A plan's settings' history and its internkontrollplan's (record_change).
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
        "plans": [
            {
                "id": p.id,
                "title": p.title,
                "chef": p.chef_id == person.id,
                "board_recipient": person.email in _addresses(p.board_recipients),
                "signatory": p.signatory_name == person.name,
            }
            for p in session.exec(
                select(Plan)
                .where(
                    or_(
                        col(Plan.chef_id) == person.id,
                        col(Plan.board_recipients).icontains(person.email, autoescape=True),
                        col(Plan.signatory_name) == person.name,
                    )
                )
                .order_by(col(Plan.id))
            ).all()
        ],
    }


def _exported_internal_control(session: Session, person: Person) -> dict[str, Any]:
    """Kontrollmoment and risks of internkontrollplaner in their charge."""
    return {
        "control_points_owned": [
            {"id": c.id, "risk_id": c.risk_id, "text": c.text, "frequency": c.frequency_text}
            for c in session.exec(
                select(ControlPoint)
                .where(col(ControlPoint.owner_id) == person.id)
                .order_by(col(ControlPoint.id))
            ).all()
        ],
        "risks_handled": [
            {"id": r.id, "plan_id": r.plan_id, "name": r.name, "handling": r.handling}
            for r in session.exec(
                select(ControlRisk)
                .where(col(ControlRisk.handling_owner_id) == person.id)
                .order_by(col(ControlRisk.id))
            ).all()
        ],
    }


def _exported_protokoll(session: Session, person: Person) -> dict[str, Any]:
    """Protokoll they uploaded, confirmed or are named in."""
    return {
        "protokoll": [
            {
                "id": p.id,
                "title": p.title,
                "meeting_on": p.meeting_on.isoformat(),
                "uploaded_by_them": p.created_by == person.id,
                "confirmed_by_them": p.confirmed_by == person.id,
                "named_in_drafts": in_drafts,
                # The minutes as uploaded are not rewritten: for review by hand.
                "named_in_minutes": in_text,
            }
            for p, in_drafts, in_text in _protokoll_of(session, person)
        ],
    }


def _exported_escalations(session: Session, person: Person) -> dict[str, Any]:
    """Absences, escalation steps and escalation levels that concern them."""
    return {
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
        # Escalation steps sent to them or acknowledged by them.
        "escalations": [
            {
                "action_id": e.action_id,
                "level": e.level,
                "sent_on": e.sent_on.isoformat(),
                "sent_to_them": person.id in e.recipients(),
                "acknowledged_by_them": e.acknowledged_by == person.id,
                "acknowledged_at": e.acknowledged_at.isoformat() if e.acknowledged_at else None,
                "comment": e.comment,
            }
            for e in _escalations_of(session, person)
        ],
        "escalation_levels": [
            {"level": h.level, "forvaltning": h.forvaltning}
            for h in session.exec(
                select(EscalationHolder).where(col(EscalationHolder.person_id) == person.id)
            ).all()
        ],
    }


def _exported_documents(session: Session, person: Person) -> dict[str, Any]:
    """Granskningar that name them, and the issued documents that do (kept as issued)."""
    return {
        "granskningar": [
            {
                "id": a.id,
                "title": a.title,
                "recipient": a.recipient_email.lower() == person.email,
                "signatory": a.signatory_name == person.name,
            }
            for a in session.exec(
                select(Audit)
                .where(
                    or_(
                        col(Audit.recipient_email).ilike(person.email),
                        col(Audit.signatory_name) == person.name,
                    )
                )
                .order_by(col(Audit.id))
            ).all()
        ],
        # Issued documents that name them: kept as issued (allmänna handlingar).
        "issued_documents": [
            *(
                {"kind": "aterrapport", "id": r.id, "plan_id": r.plan_id, "number": r.number}
                for r in session.exec(
                    select(Report)
                    .where(
                        col(Report.state) != DRAFT_STATE,
                        or_(
                            _mentions(Report.created_by, person),
                            _mentions(Report.approved_by, person),
                            _mentions(Report.snapshot_json, person),
                        ),
                    )
                    .order_by(col(Report.id))
                ).all()
            ),
            *(
                {"kind": "granskning", "id": d.id, "audit_id": d.audit_id, "number": d.number}
                for d in session.exec(
                    select(AuditDocument)
                    .where(
                        or_(
                            _mentions(AuditDocument.issued_by, person),
                            _mentions(AuditDocument.sent_to, person),
                        )
                    )
                    .order_by(col(AuditDocument.id))
                ).all()
            ),
        ],
    }


def _exported_access(session: Session, person: Person) -> dict[str, Any]:
    """The API tokens they made, their log-ins and the daily summaries sent to them."""
    return {
        "api_tokens_made": [
            {
                "id": t.id,
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in session.exec(
                select(ApiToken).where(col(ApiToken.created_by_id) == person.id)
            ).all()
        ],
        "logins": [
            {
                "created_at": s.created_at.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat(),
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            }
            for s in session.exec(
                select(LoginSession)
                .where(col(LoginSession.person_id) == person.id)
                .order_by(col(LoginSession.created_at))
            ).all()
        ],
        "daily_summaries_sent": [
            s.local_date.isoformat()
            for s in session.exec(
                select(SentSummary)
                .where(col(SentSummary.person_id) == person.id)
                .order_by(col(SentSummary.local_date))
            ).all()
        ],
    }


def _exported_mail(session: Session, person: Person) -> dict[str, Any]:
    """Mail to them, and mail to others that names them."""
    mail = session.exec(
        select(OutboxMessage)
        .where(
            or_(
                col(OutboxMessage.to_addr) == person.email,
                col(OutboxMessage.reply_to) == person.email,
                _mentions(OutboxMessage.subject, person),
                _mentions(OutboxMessage.body_text, person),
            )
        )
        .order_by(col(OutboxMessage.created_at))
    ).all()
    return {
        # Mail to them, and mail to others that names them (an escalation, a reminder to
        # the chef about their åtgärd).
        "emails": [
            {
                "id": m.id,
                "kind": m.kind,
                "to": m.to_addr,
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "text": m.body_text,
            }
            for m in mail
        ],
    }


_EXPORTED = (
    _exported_actions,
    _exported_plans,
    _exported_internal_control,
    _exported_protokoll,
    _exported_escalations,
    _exported_documents,
    _exported_access,
    _exported_mail,
)


def erase_person(session: Session, email: str, *, now: datetime) -> Person:
    """Pseudonymise a person everywhere but in issued documents, and revoke their links."""
    person = get_person(session, email)
    assert person.id is not None
    who = _Pseudonym(
        name=person.name,
        email=person.email,
        new_name=f"Person {person.id}",
        new_email=f"raderad-{person.id}@invalid",
    )
    _erase_action_history(session, person, who)
    # The plans' own fields before the plans' history, which then pseudonymises the change.
    _erase_from_plans(session, who, now)
    _erase_plan_history(session, person, who)
    for area_event in session.exec(_area_events_of(person.id, who.label)).all():
        area_event.actor_label = who.new_label
        session.add(area_event)
    _erase_from_audits(session, who)
    _erase_from_protokoll_drafts(session, person, who)
    _erase_from_draft_reports(session, person, who)
    _erase_mail(session, person, who)
    person.name = who.new_name
    person.email = who.new_email
    revoke_links(session, person, now=now)
    session.flush()
    return person


# Who the product records as having made the changes an erasure makes.
_ERASING = "Radering (GDPR)"


def _erase_action_history(session: Session, person: Person, who: _Pseudonym) -> None:
    for event in session.exec(_action_events_of(person)).all():
        if event.actor_id == person.id or event.actor_label == who.label:
            event.actor_label = who.new_label
        event.text = who.scrub(event.text, bare_name=event.trigger in _PRODUCT_WRITTEN)
        session.add(event)


def _erase_from_plans(session: Session, who: _Pseudonym, now: datetime) -> None:
    """The nämnd's recipients and a signatory, through the one way a plan is changed: the
    change is in the plan's history."""
    for plan in session.exec(
        select(Plan).where(
            or_(
                col(Plan.board_recipients).icontains(who.email, autoescape=True),
                col(Plan.signatory_name) == who.name,
            )
        )
    ).all():
        values: dict[str, Any] = {}
        kept = [a for a in _listed(plan.board_recipients) if a.lower() != who.email]
        if len(kept) != len(_listed(plan.board_recipients)):
            values["board_recipients"] = ",".join(kept)
        if plan.signatory_name == who.name:
            values["signatory_name"] = who.new_name
        plan_settings.change_plan(session, plan, values, now=now, actor=None, label=_ERASING)


def _erase_plan_history(session: Session, person: Person, who: _Pseudonym) -> None:
    for plan_event in session.exec(_plan_events_of(person)).all():
        if plan_event.actor_id == person.id or plan_event.actor_label == who.label:
            plan_event.actor_label = who.new_label
        # The nämnd's recipients and an internkontrollplan's owners are in the history too.
        plan_event.old = who.scrub(plan_event.old)
        plan_event.new = who.scrub(plan_event.new)
        session.add(plan_event)


def _erase_from_audits(session: Session, who: _Pseudonym) -> None:
    for audit in session.exec(
        select(Audit).where(
            or_(col(Audit.recipient_email).ilike(who.email), col(Audit.signatory_name) == who.name)
        )
    ).all():
        changes: dict[str, str] = {}
        if audit.recipient_email.lower() == who.email:
            changes["recipient_email"] = ""
        if audit.signatory_name == who.name:
            changes["signatory_name"] = who.new_name
        audits.edit_audit(session, audit, **changes)


def _erase_from_protokoll_drafts(session: Session, person: Person, who: _Pseudonym) -> None:
    for protokoll, in_drafts, _ in _protokoll_of(session, person):
        if not in_drafts:
            continue
        drafts = [
            _scrubbed_draft(d, who) for d in drafts_rules.drafts_from_json(protokoll.drafts_json)
        ]
        # A new version: a review page open on the old drafts cannot save their names back.
        protokoll.drafts_json = drafts_rules.drafts_to_json(drafts)
        protokoll.version += 1
        session.add(protokoll)


def _erase_from_draft_reports(session: Session, person: Person, who: _Pseudonym) -> None:
    """Drafts only: an issued återrapport is kept as issued (an allmän handling)."""
    for report in session.exec(
        select(Report).where(
            col(Report.state) == DRAFT_STATE,
            or_(
                _mentions(Report.created_by, person),
                _mentions(Report.approved_by, person),
                _mentions(Report.snapshot_json, person),
            ),
        )
    ).all():
        report.created_by = who.scrub(report.created_by)
        report.approved_by = who.scrub(report.approved_by)
        report.snapshot_json = who.scrub(report.snapshot_json)
        report.version += 1
        session.add(report)


def _erase_mail(session: Session, person: Person, who: _Pseudonym) -> None:
    # Mail to the person: sent mail keeps its record but loses its content; mail not yet
    # sent is stopped.
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.to_addr) == who.email)
        .values(
            to_addr=who.new_email,
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
        .where(col(OutboxMessage.to_addr) == who.email)
        .values(to_addr=who.new_email, subject="(raderat)", body_text="", body_html="")
    )
    # Mail to others that names them (their åtgärd in a reminder to the chef, an escalation,
    # a reply-to address): the product's words, pseudonymised like the history.
    for message in session.exec(
        select(OutboxMessage).where(
            or_(
                col(OutboxMessage.reply_to) == who.email,
                _mentions(OutboxMessage.subject, person),
                _mentions(OutboxMessage.body_text, person),
                _mentions(OutboxMessage.body_html, person),
            )
        )
    ).all():
        message.reply_to = who.scrub(message.reply_to)
        message.subject = who.scrub(message.subject)
        message.body_text = who.scrub(message.body_text)
        message.body_html = who.scrub(message.body_html)
        session.add(message)


def _scrubbed_draft(draft: drafts_rules.Draft, who: _Pseudonym) -> drafts_rules.Draft:
    """A protokoll's draft with the person's name and address pseudonymised in every text."""
    texts: dict[str, Any] = {
        f.name: who.scrub(getattr(draft, f.name))
        for f in fields(draft)
        if isinstance(getattr(draft, f.name), str)
    }
    return replace(draft, **texts)


def _listed(addresses: str) -> list[str]:
    return [a.strip() for a in addresses.split(",") if a.strip()]


def _addresses(stored: str) -> set[str]:
    return {a.lower() for a in _listed(stored)}


def _escalations_of(session: Session, person: Person) -> list[Escalation]:
    rows = session.exec(
        select(Escalation)
        .where(
            or_(
                col(Escalation.acknowledged_by) == person.id,
                col(Escalation.sent_to).contains(str(person.id)),
            )
        )
        .order_by(col(Escalation.sent_at))
    ).all()
    return [e for e in rows if e.acknowledged_by == person.id or person.id in e.recipients()]


# History lines the product writes whole, naming people by name alone too ("eskalerad till
# chef: ... (ersättare för Malin Westling)"); other lines may carry an author's words.
_PRODUCT_WRITTEN = {actions.ESCALATED}


def _action_events_of(person: Person) -> Any:
    """The åtgärder's history rows made by the person or naming them."""
    label = f"{person.name} <{person.email}>"
    named = [col(ActionEvent.text).icontains(person.email, autoescape=True)]
    if person.name.strip():
        named.append(
            and_(
                col(ActionEvent.trigger).in_(_PRODUCT_WRITTEN),
                col(ActionEvent.text).contains(person.name, autoescape=True),
            )
        )
    return (
        select(ActionEvent)
        .where(
            or_(
                col(ActionEvent.actor_id) == person.id,
                col(ActionEvent.actor_label) == label,
                *named,
            )
        )
        .order_by(col(ActionEvent.at))
    )


def _plan_events_of(person: Person) -> Any:
    """The plan history rows made by the person or naming them (by name or address)."""
    label = f"{person.name} <{person.email}>"
    return (
        select(PlanEvent)
        .where(
            or_(
                col(PlanEvent.actor_id) == person.id,
                col(PlanEvent.actor_label) == label,
                _mentions(PlanEvent.old, person),
                _mentions(PlanEvent.new, person),
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
