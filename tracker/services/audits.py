"""Granskningar: entering them, their rekommendationer and the nämnd's yttranden, linking the
åtgärder that answer each, importing granskningar from a file (a granskning already there is
updated, never duplicated), and the follow-up document to the
revisorer (rendered now, or issued: numbered and archived with SHA-256, never changed).

The web pages and the `tracker granskning` commands call these functions; who may do what is
asked of tracker.domain.roles by the caller (may_read_audit, may_edit_audit) and, for the
plans an åtgärd belongs to, here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from notifications import Attachment
from tracker.domain import nouns
from tracker.domain.audit import (
    DOCUMENT_TITLE,
    AuditDoc,
    DocAction,
    DocRecommendation,
    KnownRecommendation,
    LinkedAction,
    ReadAudit,
    RecommendationMerge,
    Rollup,
    merge_recommendations,
    recommendation_line,
    rollup,
)
from tracker.domain.clock import local_date
from tracker.domain.roles import may_edit, may_read, may_read_audit
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus
from tracker.errors import NotFound, Refused
from tracker.models import (
    Action,
    Area,
    Audit,
    AuditDocument,
    OutboxAuditDocument,
    Person,
    Plan,
    Recommendation,
    RecommendationAction,
)
from tracker.reports import audit as rendering
from tracker.services import plans as plan_service
from tracker.services.outbox import Delivery, enqueue
from tracker.services.outbox import deliveries as outbox_deliveries
from tracker.services.people import email_problem
from workflows import WorkflowRegistry

# Limits of the fields, as the forms and the file reader take them.
TITLE_LIMIT = 500
SHORT_LIMIT = 200
DNR_LIMIT = 100
EMAIL_LIMIT = 320
TEXT_LIMIT = 20_000

FORMATS = ("html", "pdf", "docx")
# The outbox's kind of the follow-up's mail to the revisorer.
MAIL_KIND = "granskning"
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Fields of a granskning a form or a file sets, with what the history of changes calls them.
FIELD_LABELS = {
    "title": "Namn",
    "auditor": "Revisor",
    "report_on": "Datum",
    "dnr": "Dnr",
    "recipient_email": "Revisorernas e-post",
    "namnd": "Nämnd",
    "ort": "Ort",
    "signatory_name": "Undertecknas av",
    "signatory_title": "Titel",
}


# --- granskningar ---------------------------------------------------------------------------


def get_audit(session: Session, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise NotFound(f"Ingen granskning med nummer {audit_id}.")
    return audit


@dataclass(frozen=True)
class AuditSummary:
    audit: Audit
    recommendations: int
    unanswered: int


def list_audits(session: Session, user: Person) -> list[AuditSummary]:
    """The granskningar `user` may read, newest report first."""
    audits = [
        a
        for a in session.exec(select(Audit).order_by(col(Audit.report_on).desc(), col(Audit.id)))
        if may_read_audit(user, a.forvaltning)
    ]
    ids = [a.id for a in audits if a.id is not None]
    counts: dict[int, int] = dict(
        session.exec(
            select(Recommendation.audit_id, func.count())
            .where(col(Recommendation.audit_id).in_(ids))
            .group_by(col(Recommendation.audit_id))
        ).all()
    )
    answered = select(RecommendationAction.recommendation_id)
    open_counts: dict[int, int] = dict(
        session.exec(
            select(Recommendation.audit_id, func.count())
            .where(col(Recommendation.audit_id).in_(ids), col(Recommendation.id).not_in(answered))
            .group_by(col(Recommendation.audit_id))
        ).all()
    )
    return [
        AuditSummary(a, counts.get(a.id or 0, 0), open_counts.get(a.id or 0, 0)) for a in audits
    ]


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    limits = {
        "title": TITLE_LIMIT,
        "auditor": SHORT_LIMIT,
        "dnr": DNR_LIMIT,
        "recipient_email": EMAIL_LIMIT,
        "forvaltning": SHORT_LIMIT,
        "namnd": SHORT_LIMIT,
        "ort": SHORT_LIMIT,
        "signatory_name": SHORT_LIMIT,
        "signatory_title": SHORT_LIMIT,
    }
    for key, limit in limits.items():
        value = out.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise Refused(f"{FIELD_LABELS.get(key, 'Förvaltning')}: högst {limit} tecken.")
    if "title" in out and not out["title"]:
        raise Refused("Granskningens namn måste fyllas i.")
    email = out.get("recipient_email") or ""
    problem = email_problem(email) if email else None
    if problem:
        raise Refused(f"Revisorernas e-post: {problem}")
    return out


def _refuse_duplicate(session: Session, title: str, forvaltning: str, own: int | None) -> None:
    found = session.exec(
        select(Audit.id).where(Audit.title == title, Audit.forvaltning == forvaltning)
    ).first()
    if found is not None and found != own:
        raise Refused(f"Det finns redan en granskning med namnet '{title}' (nummer {found}).")


def create_audit(session: Session, *, now: datetime, title: str, **fields: Any) -> Audit:
    clean = _clean({"title": title, **fields})
    _refuse_duplicate(session, clean["title"], clean.get("forvaltning", ""), None)
    audit = Audit(created_at=now, **clean)
    session.add(audit)
    session.flush()
    return audit


def edit_audit(session: Session, audit: Audit, **fields: Any) -> list[str]:
    """Change the named fields; what changed, as "Namn", "Dnr", ... ."""
    clean = _clean(fields)
    if "title" in clean:
        _refuse_duplicate(session, clean["title"], audit.forvaltning, audit.id)
    changed = []
    for key, value in clean.items():
        if getattr(audit, key) != value:
            setattr(audit, key, value)
            changed.append(FIELD_LABELS.get(key, key))
    session.add(audit)
    session.flush()
    return changed


# --- rekommendationer -----------------------------------------------------------------------


def recommendations(session: Session, audit_id: int) -> list[Recommendation]:
    return list(
        session.exec(
            select(Recommendation)
            .where(Recommendation.audit_id == audit_id)
            .order_by(col(Recommendation.position), col(Recommendation.id))
        )
    )


def get_recommendation(session: Session, audit: Audit, recommendation_id: int) -> Recommendation:
    found = session.get(Recommendation, recommendation_id)
    if found is None or found.audit_id != audit.id:
        raise NotFound(f"Granskningen har ingen rekommendation med nummer {recommendation_id}.")
    return found


@dataclass(frozen=True)
class Answered:
    """A rekommendation an åtgärd answers, as the åtgärd's page and its owner's mail name it:
    "Från ”Granskning av …”, rekommendation 2" (numbered as the follow-up numbers them)."""

    line: str
    audit_id: int
    recommendation_id: int
    forvaltning: str


def answering(session: Session, action_ids: Sequence[int]) -> dict[int, list[Answered]]:
    """The rekommendationer each of these åtgärder answers, in each granskning's order."""
    rows = session.exec(
        select(RecommendationAction.action_id, Recommendation, Audit)
        .join(Recommendation, col(Recommendation.id) == RecommendationAction.recommendation_id)
        .join(Audit, col(Audit.id) == Recommendation.audit_id)
        .where(col(RecommendationAction.action_id).in_(list(action_ids)))
        .order_by(col(Audit.id), col(Recommendation.position), col(Recommendation.id))
    ).all()
    numbers: dict[int, dict[int | None, int]] = {}
    out: dict[int, list[Answered]] = {}
    for action_id, rec, audit in rows:
        if rec.audit_id not in numbers:
            recs = recommendations(session, rec.audit_id)
            numbers[rec.audit_id] = {r.id: n for n, r in enumerate(recs, start=1)}
        assert rec.id is not None
        line = recommendation_line(audit.title, numbers[rec.audit_id][rec.id])
        out.setdefault(action_id, []).append(
            Answered(line, rec.audit_id, rec.id, audit.forvaltning)
        )
    return out


def answered_by_actions(session: Session, action_ids: Sequence[int]) -> dict[int, list[str]]:
    """The lines of answering(), for a mail."""
    return {
        action_id: [a.line for a in found]
        for action_id, found in answering(session, action_ids).items()
    }


def _text(value: str, label: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise Refused(f"{label} måste fyllas i.")
    if len(text) > TEXT_LIMIT:
        raise Refused(f"{label}: högst {TEXT_LIMIT} tecken.")
    return text


def add_recommendation(
    session: Session, audit: Audit, text: str, response: str = ""
) -> Recommendation:
    assert audit.id is not None
    last = session.exec(
        select(func.max(Recommendation.position)).where(Recommendation.audit_id == audit.id)
    ).one()
    recommendation = Recommendation(
        audit_id=audit.id,
        position=(last or 0) + 1,
        text=_text(text, "Rekommendationen", required=True),
        response=_text(response, "Yttrandet", required=False),
    )
    session.add(recommendation)
    session.flush()
    return recommendation


def edit_recommendation(session: Session, recommendation: Recommendation, text: str) -> bool:
    clean = _text(text, "Rekommendationen", required=True)
    changed = clean != recommendation.text
    recommendation.text = clean
    session.add(recommendation)
    return changed


def set_response(session: Session, recommendation: Recommendation, response: str) -> bool:
    """Write the nämnd's yttrande on a rekommendation (empty: none yet)."""
    clean = _text(response, "Yttrandet", required=False)
    changed = clean != recommendation.response
    recommendation.response = clean
    session.add(recommendation)
    return changed


def _linked_ids(session: Session, recommendation_id: int) -> list[int]:
    return list(
        session.exec(
            select(RecommendationAction.action_id).where(
                RecommendationAction.recommendation_id == recommendation_id
            )
        )
    )


def link_action(
    session: Session, recommendation: Recommendation, action_id: int, *, user: Person
) -> Action:
    """Record that the åtgärd answers the rekommendation. The åtgärd may be of any plan the
    user may read. Refused if it is linked already."""
    action = session.get(Action, action_id)
    plan = session.get(Plan, action.plan_id) if action is not None else None
    if action is None or plan is None or not may_read(user, plan):
        raise Refused("Välj en åtgärd i listan.")
    assert recommendation.id is not None and action.id is not None
    if action.id in _linked_ids(session, recommendation.id):
        raise Refused("Åtgärden är redan kopplad till rekommendationen.")
    link(session, recommendation.id, action.id)
    return action


def link(session: Session, recommendation_id: int, action_id: int) -> None:
    """The link itself, for a caller that has checked who may make it (the demo's seed)."""
    session.add(RecommendationAction(recommendation_id=recommendation_id, action_id=action_id))
    session.flush()


def unlink_action(session: Session, recommendation: Recommendation, action_id: int) -> None:
    link = session.get(RecommendationAction, (recommendation.id, action_id))
    if link is None:
        raise Refused("Åtgärden är inte kopplad till rekommendationen.")
    session.delete(link)
    session.flush()


def add_action_for(
    session: Session,
    registry: WorkflowRegistry,
    recommendation: Recommendation,
    area_id: int,
    *,
    user: Person,
    now: datetime,
    text: str,
    **fields: Any,
) -> tuple[Action, Plan]:
    """A new åtgärd in an utvecklingsområde of a plan the user may edit, made through the
    product's one write path for åtgärder (plans.add_action), answering the rekommendation."""
    area = session.get(Area, area_id)
    plan = session.get(Plan, area.plan_id) if area is not None else None
    if area is None or plan is None or not may_edit(user, plan):
        raise Refused("Välj ett utvecklingsområde i en plan du kan ändra.")
    action = plan_service.add_action(
        session,
        registry,
        area,
        now=now,
        text=_text(text, "Åtgärden", required=True),
        actor=user,
        **fields,
    )
    assert action.id is not None
    link_action(session, recommendation, action.id, user=user)
    return action, plan


def candidate_plans(session: Session, audit: Audit, user: Person) -> list[Plan]:
    """The plans of the granskning's förvaltning the user may read: where answering åtgärder
    are chosen from."""
    query = select(Plan).order_by(col(Plan.title))
    if audit.forvaltning:
        query = query.where(Plan.forvaltning == audit.forvaltning)
    return [p for p in session.exec(query) if may_read(user, p)]


# --- the view: each rekommendation with its åtgärder and status ------------------------------


@dataclass(frozen=True)
class LinkedView:
    action: Action
    plan: Plan
    area: Area
    state_label: str
    schedule: ScheduleStatus
    withdrawn: bool
    owner: Person | None = None
    # Its workflow's noun is a neuter word ("ett beslut"): a withdrawn one counts as "klart".
    neuter: bool = False

    @property
    def counted_as(self) -> str:
        """What a withdrawn one counts as, agreeing with it: "klar", "klart"."""
        return "klart" if self.neuter else "klar"

    @property
    def tidsplan(self) -> str:
        """The tidsplan as written, else the dates: as the follow-up's document shows it."""
        return self.action.tidsplan or _dates(self.action)

    @property
    def late(self) -> bool:
        return self.schedule is not ScheduleStatus.on_track

    @property
    def schedule_label(self) -> str:
        return SCHEDULE_LABELS[self.schedule]


@dataclass(frozen=True)
class RecommendationView:
    recommendation: Recommendation
    number: int
    actions: list[LinkedView]
    status: Rollup


@dataclass(frozen=True)
class AuditView:
    audit: Audit
    recommendations: list[RecommendationView]


def _linked(
    session: Session, registry: WorkflowRegistry, recommendation_ids: Sequence[int], today: date
) -> dict[int, list[LinkedView]]:
    rows = session.exec(
        select(RecommendationAction.recommendation_id, Action, Plan, Area)
        .join(Action, col(Action.id) == RecommendationAction.action_id)
        .join(Plan, col(Plan.id) == Action.plan_id)
        .join(Area, col(Area.id) == Action.area_id)
        .where(col(RecommendationAction.recommendation_id).in_(list(recommendation_ids)))
        .order_by(col(Plan.id), col(Area.position), col(Action.position))
    ).all()
    out: dict[int, list[LinkedView]] = {}
    owner_ids = {action.owner_id for _, action, _, _ in rows if action.owner_id is not None}
    owners = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(owner_ids)))}
    for recommendation_id, action, plan, area in rows:
        wf = registry.get(action.workflow)
        state = wf.definition.state(action.state)
        out.setdefault(recommendation_id, []).append(
            LinkedView(
                action=action,
                plan=plan,
                area=area,
                state_label=state.label,
                schedule=plan_service.status_of(registry, action, today),
                withdrawn=state.withdrawn,
                owner=owners.get(action.owner_id),
                neuter=wf.definition.noun.neuter,
            )
        )
    return out


def _status(registry: WorkflowRegistry, linked: Sequence[LinkedView]) -> Rollup:
    items = []
    for v in linked:
        wf = registry.get(v.action.workflow)
        state = wf.definition.state(v.action.state)
        items.append(
            LinkedAction(
                started=v.action.state != wf.initial,
                done=state.done,
                final=state.final,
                withdrawn=state.withdrawn,
                late=v.late,
            )
        )
    workflows = [v.action.workflow for v in linked]
    found = nouns.nouns_of(registry, workflows)
    withdrawn = nouns.nouns_of(registry, [v.action.workflow for v in linked if v.withdrawn])
    return rollup(
        items,
        items=nouns.plural(registry, workflows),
        the_item=found[0][0].the_one if len(found) == 1 else "åtgärden",
        neuter_withdrawn=len(withdrawn) == 1 and withdrawn[0][0].neuter,
    )


def audit_view(
    session: Session, registry: WorkflowRegistry, audit_id: int, today: date
) -> AuditView:
    audit = get_audit(session, audit_id)
    recs = recommendations(session, audit_id)
    linked = _linked(session, registry, [r.id for r in recs if r.id is not None], today)
    views = []
    for number, rec in enumerate(recs, start=1):
        actions = linked.get(rec.id or 0, [])
        views.append(RecommendationView(rec, number, actions, _status(registry, actions)))
    return AuditView(audit, views)


@dataclass(frozen=True)
class PlanAnswer:
    """A rekommendation that åtgärder of a plan answer, for the plan's report page."""

    audit: Audit
    number: int
    recommendation: Recommendation
    status: Rollup
    plan_actions: int
    # The workflows of the plan's items that answer it: what they are called by
    # (tracker.domain.nouns).
    plan_workflows: tuple[str, ...] = ()


def answered_by_plan(
    session: Session, registry: WorkflowRegistry, plan_id: int, today: date, user: Person
) -> list[PlanAnswer]:
    """The rekommendationer (of granskningar the user may read) that the plan's åtgärder
    answer, each with its status over all its åtgärder, in whatever plan."""
    audit_ids = session.exec(
        select(Recommendation.audit_id)
        .join(
            RecommendationAction,
            col(RecommendationAction.recommendation_id) == Recommendation.id,
        )
        .join(Action, col(Action.id) == RecommendationAction.action_id)
        .where(Action.plan_id == plan_id)
        .distinct()
    ).all()
    out = []
    for audit_id in sorted(audit_ids):
        view = audit_view(session, registry, audit_id, today)
        if not may_read_audit(user, view.audit.forvaltning):
            continue
        for r in view.recommendations:
            here = tuple(a.action.workflow for a in r.actions if a.plan.id == plan_id)
            if here:
                out.append(
                    PlanAnswer(view.audit, r.number, r.recommendation, r.status, len(here), here)
                )
    return out


# --- importing --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditOutcome:
    """What an import did to one granskning, as plain values: a dry run rolls the rows back
    before the summary is shown."""

    audit_id: int
    title: str
    created: bool
    changed: tuple[str, ...]  # its own fields, as FIELD_LABELS names them
    added: int
    responses: int
    unchanged: int
    not_in_file: int

    @property
    def updated(self) -> bool:
        return bool(self.changed or self.added or self.responses)


@dataclass(frozen=True)
class AuditImport:
    outcomes: list[AuditOutcome]


def import_audits(
    session: Session,
    filename: str,
    read: Sequence[ReadAudit],
    *,
    now: datetime,
    forvaltning: str,
    namnd: str = "",
) -> AuditImport:
    """Save the granskningar read from a file, in the caller's transaction: all of them or,
    on a refusal, none (the caller rolls back). `forvaltning` and `namnd` apply where the file
    names none.

    As the plan import does, importing the same file again duplicates nothing: a granskning is
    matched by title + förvaltning and its own fields are updated where the file gives a value
    (an empty cell keeps it); its rekommendationer are matched by merge_recommendations. A
    rekommendation the file leaves out is kept, with its yttrande and its linked åtgärder."""
    outcomes = []
    seen: dict[tuple[str, str], int] = {}
    for item in read:
        where = (item.forvaltning or forvaltning).strip()
        try:
            _refuse_repeated(seen, item, where)
            outcomes.append(_import_one(session, item, where, (item.namnd or namnd).strip(), now))
        except Refused as exc:
            raise Refused(
                f"{filename}, rad {item.row}: {exc.message} Ingenting sparades."
            ) from None
    return AuditImport(outcomes)


def _refuse_repeated(seen: dict[tuple[str, str], int], item: ReadAudit, where: str) -> None:
    """A granskning named again further down would be matched to itself, its two parts
    merged in an order the file does not show: refused instead."""
    key = (item.title.strip(), where)
    if key in seen:
        raise Refused(
            f"Granskningen '{item.title}' står redan på rad {seen[key]}; "
            "skriv alla dess rekommendationer i en följd."
        )
    seen[key] = item.row


def _import_one(
    session: Session, item: ReadAudit, forvaltning: str, namnd: str, now: datetime
) -> AuditOutcome:
    fields: dict[str, Any] = {
        "auditor": item.auditor,
        "report_on": item.report_on,
        "dnr": item.dnr,
        "recipient_email": item.recipient_email,
        "namnd": namnd,
    }
    audit = session.exec(
        select(Audit).where(Audit.title == item.title.strip(), Audit.forvaltning == forvaltning)
    ).first()
    created = audit is None
    changed: list[str] = []
    if audit is None:
        audit = create_audit(session, now=now, title=item.title, forvaltning=forvaltning, **fields)
    else:
        # An empty cell keeps the granskning's value, as the plan import does.
        given = {k: v for k, v in fields.items() if v not in (None, "")}
        changed = edit_audit(session, audit, **given)
    assert audit.id is not None
    merge = _merge_into(session, audit, item)
    return AuditOutcome(
        audit_id=audit.id,
        title=audit.title,
        created=created,
        changed=tuple(changed),
        added=len(merge.added),
        responses=len(merge.responses),
        unchanged=merge.unchanged,
        not_in_file=merge.not_in_file,
    )


def _merge_into(session: Session, audit: Audit, item: ReadAudit) -> RecommendationMerge:
    """Apply the file's rekommendationer through the same functions the pages use; links to
    åtgärder are never touched."""
    assert audit.id is not None
    existing = {r.id: r for r in recommendations(session, audit.id) if r.id is not None}
    known = [KnownRecommendation(i, r.text, r.response) for i, r in existing.items()]
    merge = merge_recommendations(known, item.recommendations)
    for rec in merge.added:
        add_recommendation(session, audit, rec.text, rec.response)
    for rec_id, response in merge.responses:
        set_response(session, existing[rec_id], response)
    session.flush()
    return merge


def describe_import(result: AuditImport) -> list[str]:
    """The summary the CLI prints and the upload shows, in Swedish."""
    lines = []
    for o in result.outcomes:
        how = "ny" if o.created else "uppdaterad" if o.updated else "oförändrad"
        lines.append(f"Granskning {o.audit_id}: {o.title} ({how}).")
        if o.changed:
            lines.append(f"  Ändrat: {', '.join(o.changed)}.")
        lines.append(
            f"  Rekommendationer: {o.added} {'ny' if o.added == 1 else 'nya'}, "
            f"{o.responses} med ändrat yttrande, "
            f"{o.unchanged} {'oförändrad' if o.unchanged == 1 else 'oförändrade'}."
        )
        if o.not_in_file == 1:
            lines.append(
                "  1 rekommendation i granskningen finns inte i filen; den lämnades orörd."
            )
        elif o.not_in_file:
            lines.append(
                f"  {o.not_in_file} rekommendationer i granskningen finns inte i filen; "
                "de lämnades orörda."
            )
    return lines


# --- the follow-up document -------------------------------------------------------------


def _signature(audit: Audit, linked_plans: Sequence[Plan]) -> tuple[str, str, str]:
    """(ort, name, title): the granskning's own, else the first answering plan's."""
    source: Any = audit
    if not (audit.ort or audit.signatory_name):
        source = next((p for p in linked_plans if p.ort or p.signatory_name), audit)
    return source.ort, source.signatory_name, source.signatory_title


def document(
    registry: WorkflowRegistry,
    view: AuditView,
    *,
    now: datetime,
    tz: ZoneInfo,
    issued_line: str = "",
) -> AuditDoc:
    """The follow-up as it is now. What answers a rekommendation is named by its workflows'
    nouns (a protokoll's decision is a beslut). An issued follow-up is archived as bytes
    and never rendered again, so its wording may follow the product's."""
    audit = view.audit
    today = local_date(now, tz)
    plans = [a.plan for r in view.recommendations for a in r.actions]
    ort, name, title = _signature(audit, plans)
    recs = []
    for r in view.recommendations:
        actions = tuple(
            DocAction(
                plan=a.plan.title,
                area=a.area.title,
                text=a.action.text,
                tidsplan=a.tidsplan,
                state=a.state_label,
                progress_note=a.action.progress_note,
                progress_on=local_date(a.action.progress_at, tz).isoformat()
                if a.action.progress_at
                else "",
                late=a.schedule_label if a.late else "",
            )
            for a in r.actions
        )
        recs.append(
            DocRecommendation(
                number=r.number,
                text=r.recommendation.text,
                response=r.recommendation.response,
                status=r.status.text,
                late=r.status.late,
                actions=actions,
                items=nouns.plural(registry, (a.action.workflow for a in r.actions)),
                column=nouns.heading(registry, (a.action.workflow for a in r.actions)),
            )
        )
    answers = [a.action.workflow for r in view.recommendations for a in r.actions]
    return AuditDoc(
        title=DOCUMENT_TITLE,
        audit_title=audit.title,
        auditor=audit.auditor,
        report_on=audit.report_on.isoformat() if audit.report_on else "",
        dnr=audit.dnr,
        forvaltning=audit.forvaltning,
        namnd=audit.namnd,
        date_text=today.isoformat(),
        place_date=" ".join(p for p in (ort, today.isoformat()) if p),
        signer=", ".join(p for p in (name, title) if p),
        recommendations=tuple(recs),
        issued_line=issued_line,
        items=nouns.plural(registry, answers),
        the_items=nouns.plural(registry, answers, definite=True),
    )


def _dates(action: Action) -> str:
    parts = []
    if action.due_on:
        parts.append(f"Klart till {action.due_on.isoformat()}.")
    if action.evaluate_on:
        parts.append(f"Utvärderas {action.evaluate_on.isoformat()}.")
    return " ".join(parts)


def render(doc: AuditDoc, fmt: str) -> bytes:
    if fmt == "html":
        return rendering.render_html(doc).encode("utf-8")
    if fmt == "pdf":
        return rendering.render_pdf(doc)
    if fmt == "docx":
        return rendering.render_docx(doc)
    raise Refused("Välj dokumentet som html, pdf eller docx.")


def filename(audit: Audit, fmt: str, number: int | None = None) -> str:
    stem = f"uppfoljning-granskning-{audit.id}"
    return f"{stem}-{number}.{fmt}" if number is not None else f"{stem}.{fmt}"


def issued_documents(session: Session, audit_id: int) -> list[AuditDocument]:
    """The issued documents' rows without their bytes' use: newest first."""
    return list(
        session.exec(
            select(AuditDocument)
            .where(AuditDocument.audit_id == audit_id)
            .order_by(col(AuditDocument.number).desc(), col(AuditDocument.id))
        )
    )


def verify_issued(session: Session, audit_id: int) -> list[tuple[AuditDocument, bool]]:
    """Each issued document of the granskning's follow-up, newest version first, with whether
    its archived bytes still match the SHA-256 it was issued with."""
    get_audit(session, audit_id)
    return [
        (document, hashlib.sha256(document.data).hexdigest() == document.sha256)
        for document in issued_documents(session, audit_id)
    ]


def get_issued(session: Session, audit: Audit, document_id: int) -> AuditDocument:
    found = session.get(AuditDocument, document_id)
    if found is None or found.audit_id != audit.id:
        raise NotFound(f"Granskningen har inget utfärdat dokument med nummer {document_id}.")
    return found


def issue(
    session: Session,
    registry: WorkflowRegistry,
    audit: Audit,
    *,
    now: datetime,
    tz: ZoneInfo,
    actor: Person | None,
    send: bool = False,
    domain: str = "localhost",
) -> list[AuditDocument]:
    """Render the follow-up as it is now in every format and archive the bytes with their
    SHA-256 as issued version 1, 2, ... . With `send`, the PDF and DOCX go to the revisorer's
    address through the outbox in the same transaction. Refused for a granskning without
    rekommendationer, or sent without an address."""
    assert audit.id is not None
    view = audit_view(session, registry, audit.id, local_date(now, tz))
    if not view.recommendations:
        raise Refused("Granskningen har inga rekommendationer att följa upp.")
    if send and not audit.recipient_email:
        raise Refused(
            "Granskningen har ingen e-postadress till revisorerna. Ange den under "
            "Granskningens uppgifter, eller utfärda utan att skicka."
        )
    number = _next_number(session, audit.id)
    who = actor.name if actor is not None else "systemet"
    line = f"Utfärdad {local_date(now, tz).isoformat()} av {who}, version {number}."
    doc = document(registry, view, now=now, tz=tz, issued_line=line)
    sent_to = audit.recipient_email if send else ""
    rows = [
        _archived(audit, doc, fmt, number, now=now, who=who, sent_to=sent_to) for fmt in FORMATS
    ]
    session.add_all(rows)
    session.flush()
    if send:
        reply_to = actor.email if actor is not None else ""
        _send(session, audit, doc, number, rows, now=now, domain=domain, reply_to=reply_to)
    return rows


def _next_number(session: Session, audit_id: int) -> int:
    last = session.exec(
        select(func.max(AuditDocument.number)).where(AuditDocument.audit_id == audit_id)
    ).one()
    return (last or 0) + 1


def _archived(
    audit: Audit, doc: AuditDoc, fmt: str, number: int, *, now: datetime, who: str, sent_to: str
) -> AuditDocument:
    assert audit.id is not None
    data = render(doc, fmt)
    return AuditDocument(
        audit_id=audit.id,
        number=number,
        format=fmt,
        filename=filename(audit, fmt, number),
        content_type=CONTENT_TYPES[fmt],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        issued_at=now,
        issued_by=who,
        sent_to=sent_to,
    )


# What goes to the revisorer: the formats they open; the HTML stays in the archive.
SENT_FORMATS = ("pdf", "docx")


def _send(
    session: Session,
    audit: Audit,
    doc: AuditDoc,
    number: int,
    rows: Sequence[AuditDocument],
    *,
    now: datetime,
    domain: str,
    reply_to: str,
) -> None:
    sent = [r for r in rows if r.format in SENT_FORMATS]
    attachments = tuple(Attachment(r.filename, r.content_type, r.data) for r in sent)
    message = enqueue(
        session,
        rendering.auditor_message(audit.recipient_email, doc, number, attachments, reply_to),
        kind=MAIL_KIND,
        forvaltning=audit.forvaltning,
        now=now,
        domain=domain,
    )
    assert message.id is not None
    for row in sent:
        assert row.id is not None
        session.add(OutboxAuditDocument(message_id=message.id, document_id=row.id))


def deliveries(session: Session, audit_id: int) -> dict[int, Delivery]:
    """Per issued version (its number), its message to the revisorer as the outbox has it. A
    version sent before its message was linked to it has none here."""
    return outbox_deliveries(
        session,
        sa_select(col(AuditDocument.number), col(OutboxAuditDocument.message_id))
        .join(AuditDocument, col(AuditDocument.id) == OutboxAuditDocument.document_id)
        .where(col(AuditDocument.audit_id) == audit_id),
    )


def as_json(view: AuditView) -> dict[str, Any]:
    """The granskning for `tracker granskning show --json`."""
    audit = view.audit
    return {
        "id": audit.id,
        "title": audit.title,
        "auditor": audit.auditor,
        "report_on": audit.report_on.isoformat() if audit.report_on else None,
        "dnr": audit.dnr,
        "recipient_email": audit.recipient_email,
        "forvaltning": audit.forvaltning,
        "namnd": audit.namnd,
        "recommendations": [
            {
                "id": r.recommendation.id,
                "number": r.number,
                "text": r.recommendation.text,
                "response": r.recommendation.response,
                "status": r.status.status.value,
                "status_label": r.status.text,
                "late": r.status.late,
                "actions": [
                    {
                        "id": a.action.id,
                        "plan_id": a.plan.id,
                        "plan": a.plan.title,
                        "text": a.action.text,
                        "state": a.action.state,
                        "late": a.late,
                    }
                    for a in r.actions
                ],
            }
            for r in view.recommendations
        ],
    }
