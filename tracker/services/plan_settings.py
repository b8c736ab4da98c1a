"""A plan's own data (title, nämnd, Dnr, the nämnd's decision, signatory, report months, the
nämnd's recipients, whether it is published openly): changed in one place, each change recorded
in the plan's history.

The settings page, `tracker plan set` and an import all change a plan through `change_plan`.
Values are given as the Plan table stores them (report months "6,12", recipients "a,b");
`read_settings` turns what a person typed into such values, or Swedish reasons why not.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker.domain.plan_meta import LABELS, PlanMeta, convert
from tracker.domain.roles import in_scope
from tracker.errors import Refused
from tracker.models import Person, Plan, PlanEvent
from tracker.services import people

# The fields of the settings page, in its order.
SETTINGS_FIELDS: tuple[str, ...] = (
    "title",
    "forvaltning",
    "namnd",
    "dnr",
    "decision_on",
    "decision_paragraph",
    "background",
    "ort",
    "signatory_name",
    "signatory_title",
    "report_months",
    "next_report_on",
    "board_recipients",
)
RECIPIENTS = "board_recipients"
PUBLISHED = "published"
# The chef a plan names, let go when the plan moves out of their förvaltning.
NAMED_CHEF = "chef"
# The internkontrollplan's changes by hand, recorded in the history of its åtgärdsplan by
# tracker.services.internal_control.
RISK_ADDED = "control_risk"
POINT_ADDED = "control_point"
POINT_CHANGED = "control_point_changed"
RISK_REASSESSED = "control_risk_reassessed"
RISK_HANDLING_CHANGED = "control_risk_handling"
# The internkontrollplan's own history: these changes of its åtgärdsplan, not the plan's settings.
CONTROL_FIELDS: tuple[str, ...] = (
    RISK_ADDED,
    POINT_ADDED,
    POINT_CHANGED,
    RISK_REASSESSED,
    RISK_HANDLING_CHANGED,
)
# Fields that are not in a plan file, so not in plan_meta's labels.
_OWN_LABELS = {
    PUBLISHED: "Öppen publicering",
    NAMED_CHEF: "Planens chef",
    RISK_ADDED: "Ny risk i internkontrollplanen",
    POINT_ADDED: "Nytt kontrollmoment",
    POINT_CHANGED: "Ändrat kontrollmoment",
    RISK_REASSESSED: "Ny bedömning av risk",
    RISK_HANDLING_CHANGED: "Ny ansvarig för riskens hantering",
}
# What the settings form sends for publishing and unpublishing.
PUBLISH_CHOICES = {"ja": True, "nej": False}


@dataclass(frozen=True)
class PlanChange:
    """One field changed, with its values as the settings page shows them."""

    field: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return _OWN_LABELS.get(self.field) or LABELS.get(self.field, self.field)

    def describe(self) -> str:
        if self.field == RECIPIENTS:
            return f"{self.label}: {recipients_change(self.old, self.new)}"
        if self.field == PUBLISHED:
            return f"{self.label}: {self.old} → {self.new}"
        return f"{self.label}: {_quoted(self.old)} → {_quoted(self.new)}"


def _quoted(value: str) -> str:
    return f"'{value}'" if value else "(tomt)"


def recipients_change(old: str, new: str) -> str:
    """'läggs till a@x; tas bort b@y' for two lists as shown ('a@x, b@y')."""
    before, after = split_addresses(old), split_addresses(new)
    had, has = {b.lower() for b in before}, {a.lower() for a in after}
    added = [a for a in after if a.lower() not in had]
    removed = [b for b in before if b.lower() not in has]
    parts = []
    if added:
        parts.append("läggs till " + ", ".join(added))
    if removed:
        parts.append("tas bort " + ", ".join(removed))
    return "; ".join(parts) or "samma adresser i ny ordning"


def split_addresses(stored: str) -> list[str]:
    return [a.strip() for a in stored.split(",") if a.strip()]


def shown(field: str, value: Any) -> str:
    """A stored value as the settings page and the history show it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, date):
        return value.isoformat()
    if field in ("report_months", RECIPIENTS):
        return ", ".join(p.strip() for p in str(value).split(",") if p.strip())
    return str(value)


def actor_label(person: Person | None, fallback: str) -> str:
    """Who made a change, as the history shows it (and erasure finds it)."""
    return f"{person.name} <{person.email}>" if person is not None else fallback


def record_change(
    session: Session,
    plan_id: int,
    change: PlanChange,
    *,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> None:
    """One change in a plan's history: its settings', or its internkontrollplan's."""
    session.add(
        PlanEvent(
            plan_id=plan_id,
            at=now,
            actor_id=actor.id if actor is not None else None,
            actor_label=actor_label(actor, label),
            field=change.field,
            old=change.old,
            new=change.new,
        )
    )


def change_plan(
    session: Session,
    plan: Plan,
    values: Mapping[str, Any],
    *,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> list[PlanChange]:
    """Set the plan's fields to `values` (as Plan stores them); each change that is one is
    recorded in the plan's history. Refused if the title would be empty or taken."""
    assert plan.id is not None
    changes = [
        PlanChange(field, shown(field, getattr(plan, field)), shown(field, value))
        for field, value in values.items()
        if getattr(plan, field) != value
    ]
    if not changes:
        return []
    _check_title(
        session,
        plan.id,
        values.get("title", plan.title),
        values.get("forvaltning", plan.forvaltning),
    )
    for change in changes:
        setattr(plan, change.field, values[change.field])
        record_change(session, plan.id, change, now=now, actor=actor, label=label)
    if any(c.field == "forvaltning" for c in changes):
        released = release_named_chef(session, plan, now=now, actor=actor, label=label)
        changes.extend([released] if released is not None else [])
    session.add(plan)
    session.flush()
    return changes


def release_named_chef(
    session: Session, plan: Plan, *, now: datetime, actor: Person | None, label: str = ""
) -> PlanChange | None:
    """The plan's named chef let go, in its history, when the plan and that chef are no longer
    of one förvaltning (the plan or the chef moved): they would otherwise keep changing it
    and keep getting its escalations and drafts, and the chefs of its förvaltning none."""
    named = session.get(Person, plan.chef_id) if plan.chef_id is not None else None
    if named is None or in_scope(named, plan.forvaltning):
        return None
    assert plan.id is not None
    plan.chef_id = None
    session.add(plan)
    change = PlanChange(NAMED_CHEF, named.name, "")
    record_change(session, plan.id, change, now=now, actor=actor, label=label)
    return change


def set_published(
    session: Session,
    plan: Plan,
    published: bool,
    *,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> list[PlanChange]:
    """Publish the plan openly (its page and its issued återrapporter, for anyone without a
    log-in) or take it down again; in the plan's history like any other change."""
    return change_plan(session, plan, {PUBLISHED: published}, now=now, actor=actor, label=label)


def publish_choice(typed: str) -> bool:
    """The settings form's choice ("ja" or "nej") as whether to publish; Refused otherwise."""
    choice = PUBLISH_CHOICES.get(typed.strip().lower())
    if choice is None:
        raise Refused("Välj om planen ska publiceras öppet eller inte.")
    return choice


def _check_title(session: Session, plan_id: int, title: str, forvaltning: str) -> None:
    if not title.strip():
        raise Refused("Planens titel får inte vara tom.")
    taken = session.exec(
        select(Plan.id).where(
            Plan.title == title, Plan.forvaltning == forvaltning, Plan.id != plan_id
        )
    ).first()
    if taken is not None:
        raise Refused(
            f"Det finns redan en plan som heter '{title}' i förvaltningen "
            f"'{forvaltning}' (plan {taken})."
        )


def history(
    session: Session, plan_id: int, fields: Collection[str] | None = None
) -> list[PlanEvent]:
    """The plan's changes, newest first; only those of `fields` when given."""
    query = select(PlanEvent).where(PlanEvent.plan_id == plan_id)
    if fields is not None:
        query = query.where(col(PlanEvent.field).in_(fields))
    return list(session.exec(query.order_by(col(PlanEvent.at).desc(), col(PlanEvent.id).desc())))


def shown_history(
    session: Session, plan_id: int, fields: Collection[str] | None = None
) -> list[tuple[PlanEvent, PlanChange]]:
    """The plan's changes as a page shows them (who and when, and what went from what to
    what), newest first: the settings page's history, and the internkontrollplan's."""
    return [
        (event, PlanChange(event.field, event.old, event.new))
        for event in history(session, plan_id, fields)
    ]


# --- what a person typed -------------------------------------------------------------------


def read_settings(typed: Mapping[str, str]) -> dict[str, Any]:
    """The fields given in `typed` (as typed in the form or on the command line) as Plan
    stores them; Refused listing every field that cannot be read, in Swedish."""
    values: dict[str, Any] = {}
    # field -> its problem, so that a form can mark each box that is wrong.
    problems: dict[str, str] = {}
    for field, text in typed.items():
        converted, problem = convert(field, text, people.valid_email)
        if problem:
            problems[field] = f"{LABELS[field]}: {problem}."
            continue
        values.update(_stored(field, converted))
    if "title" in values and not values["title"]:
        problems["title"] = "Titel: får inte vara tom."
    if problems:
        raise Refused(" ".join(problems.values()), fields=problems)
    return values


def _stored(field: str, converted: Any) -> dict[str, Any]:
    if field in ("next_report_on", "decision_on"):
        return {field: converted}
    if converted is None:
        converted = () if field in ("report_months", RECIPIENTS) else ""
    return PlanMeta(**{field: converted}).plan_values()


def with_recipients(
    plan: Plan, *, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> dict[str, Any]:
    """The plan's recipients with `add` appended (each checked) and `remove` taken away;
    Refused naming an address that is not valid, or not a recipient to remove."""
    current = split_addresses(plan.board_recipients)
    problems = [problem for a in add if (problem := people.email_problem(a))]
    lower = {a.lower() for a in current}
    missing = [r.strip() for r in remove if r.strip().lower() not in lower]
    problems += [f"{m} är inte mottagare i nämnden." for m in missing]
    if problems:
        raise Refused(" ".join(problems))
    gone = {r.strip().lower() for r in remove}
    kept = [a for a in current if a.lower() not in gone]
    seen = {k.lower() for k in kept}
    for address in (a.strip() for a in add):
        if address.lower() not in seen:
            kept.append(address)
            seen.add(address.lower())
    return {RECIPIENTS: ",".join(kept)}


def current_settings(plan: Plan) -> dict[str, str]:
    """The plan's settings as the form shows them."""
    return {field: shown(field, getattr(plan, field)) for field in SETTINGS_FIELDS}


def given_by_file(meta: PlanMeta, keys: Sequence[str]) -> dict[str, Any]:
    """What a plan file states about these fields, as Plan stores them: a field the file
    leaves out or leaves empty is not stated, so an import never erases a value."""
    values = meta.plan_values()
    return {k: values[k] for k in keys if k in values and values[k] not in ("", None)}
