"""The follow-up of an internkontrollplan to the nämnd: its snapshot, read from the event
history of the plan's controls, and the chef's overall assessment written into the draft.

Drafting, approving, archiving and sending are the återrapport's own
(tracker.services.reports): a draft for the åtgärdsplan of an internkontrollplan is of the
internkontroll kind, whether the report calendar's job, the web or the CLI makes it. The
period runs from the previous issued report of the plan (or 1 January of the plan's year) to
the report date; the year's last report (helår) covers the whole year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker.domain.clock import local_date
from tracker.domain.control_report import (
    ACTION_WORKFLOW,
    ASSESSMENT_LIMIT,
    CONTROL_WORKFLOW,
    DEVIATION_FIELD,
    METHOD_FIELD,
    PLANNED_STATE,
    RESULT_FIELD,
    SAMPLE_FIELD,
    CarriedSnap,
    ControlPlanSnap,
    ControlSnap,
    ControlSnapshot,
    DeviationSnap,
    PointSnap,
    RiskSnap,
    answer_values,
)
from tracker.domain.report import EarlierReport
from tracker.domain.report_schedule import occasion_after, occasion_of
from tracker.domain.roles import action_roles
from tracker.errors import Conflict, NotFound, Refused
from tracker.models import (
    Action,
    ActionEvent,
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    ControlRisk,
    Person,
    Plan,
    Report,
)
from tracker.models.report import DRAFT_STATE
from tracker.services import reports
from tracker.services.control_occurrences import ensure_action_plan
from tracker.services.internal_control import scale_of
from workflows import WorkflowRegistry

# The transitions of workflows/definitions/kontroll.toml the report reads.
REPORTED = "genomfor"
ASSESSED = "bedom"
REDO = "gor_om"
WITHDRAWN = "utga"


def control_plan_of(session: Session, plan_id: int) -> ControlPlan | None:
    """The internkontrollplan whose åtgärdsplan this is, if it is one."""
    return session.exec(select(ControlPlan).where(ControlPlan.plan_id == plan_id)).first()


# --- The period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    # Events after this instant (and at or before the cutoff) are the period's.
    since: datetime
    name: str
    full_year: bool
    next_report_on: date | None


_NAMES = {2: "Halvår", 3: "Tertial", 4: "Kvartal"}


def _period(
    session: Session,
    registry: WorkflowRegistry,
    plan: Plan,
    year: int,
    previous_until: datetime | None,
    *,
    as_of: date,
    tz: ZoneInfo,
    draft_days: int,
) -> Period:
    occasions = reports.plan_occasions(session, registry, plan, as_of, draft_days)
    current = occasion_of(occasions, as_of)
    following = occasion_after(occasions, current, as_of)
    months = plan.report_month_numbers()
    last_month = current is not None and bool(months) and current.period.month == max(months)
    full_year = as_of >= date(year, 12, 31) or last_month
    year_start = datetime.combine(date(year, 1, 1), time(0), tzinfo=tz) - timedelta(microseconds=1)
    since = year_start
    if not full_year and previous_until is not None and previous_until > year_start:
        since = previous_until
    start = min(local_date(since + timedelta(microseconds=1), tz), as_of)
    name = ""
    if full_year:
        name = f"Helår {year}"
    elif current is not None and len(months) in _NAMES and current.period.month in months:
        name = f"{_NAMES[len(months)]} {months.index(current.period.month) + 1} {year}"
    return Period(
        start=start,
        since=since,
        name=name,
        full_year=full_year,
        next_report_on=following.meeting_on if following is not None else None,
    )


def _previous(session: Session, plan_id: int, cutoff: datetime) -> tuple[EarlierReport, datetime]:
    row = session.exec(
        select(Report)
        .where(
            Report.plan_id == plan_id,
            col(Report.number).is_not(None),
            col(Report.data_until) < cutoff,
        )
        .order_by(col(Report.number).desc())
    ).first()
    if row is None:
        raise LookupError
    return EarlierReport(number=row.number or 0, as_of=row.as_of, by_state={}), row.data_until


# --- Replaying the controls ---------------------------------------------------------------


@dataclass
class _Control:
    state: str | None = None
    created: bool = False
    done_at: datetime | None = None
    reported_by: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    assessment: str = ""
    assessed_at: datetime | None = None
    assessed_by: str = ""
    reason: str = ""
    reason_at: datetime | None = None
    # Answers of every report by the instant it was made: a deviation's åtgärd is opened in
    # the same change, at the same instant.
    reports_at: dict[datetime, dict[str, str]] = field(default_factory=dict)
    touched: bool = False


@dataclass
class _Opened:
    state: str | None = None
    created_at: datetime | None = None
    note: str = ""
    note_at: datetime | None = None


def _events(
    session: Session, action_ids: list[int], cutoff: datetime
) -> list[tuple[ActionEvent, str]]:
    """The åtgärder's events up to the cutoff in order, each with who made it."""
    if not action_ids:
        return []
    rows = session.exec(
        select(ActionEvent, Person.name)
        .join(Person, col(Person.id) == ActionEvent.actor_id, isouter=True)
        .where(col(ActionEvent.action_id).in_(action_ids), col(ActionEvent.at) <= cutoff)
        .order_by(col(ActionEvent.at), col(ActionEvent.id))
    ).all()
    return [(e, name or e.actor_label) for e, name in rows]


def _replay_controls(events: list[tuple[ActionEvent, str]], since: datetime) -> dict[int, _Control]:
    out: dict[int, _Control] = defaultdict(_Control)
    for e, who in events:
        c = out[e.action_id]
        c.created = True
        if e.to_state is not None:
            c.state = e.to_state
        in_period = e.at > since
        if e.trigger == REPORTED:
            c.done_at, c.reported_by = e.at, who
            c.answers = answer_values(e.answers_json)
            c.reports_at[e.at] = c.answers
            c.assessment, c.assessed_at, c.assessed_by = "", None, ""
            c.touched = c.touched or in_period
        elif e.trigger == ASSESSED:
            c.assessment, c.assessed_at, c.assessed_by = e.text, e.at, who
            c.touched = c.touched or in_period
        elif e.trigger == REDO:
            c.done_at, c.reported_by, c.answers = None, "", {}
            c.assessment, c.assessed_at, c.assessed_by = "", None, ""
        elif e.trigger == WITHDRAWN:
            c.reason, c.reason_at = e.text, e.at
            c.touched = c.touched or in_period
    return out


def _replay_opened(events: list[tuple[ActionEvent, str]]) -> dict[int, _Opened]:
    out: dict[int, _Opened] = defaultdict(_Opened)
    for e, _ in events:
        o = out[e.action_id]
        if o.created_at is None:
            o.created_at = e.at
        if e.to_state is not None:
            o.state = e.to_state
        if e.text and e.trigger not in reports.NOT_NOTES:
            o.note, o.note_at = e.text, e.at
    return out


# --- The snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    point: ControlPoint
    risk_number: int
    process: str
    owner: str


def _risks_and_points(
    session: Session, control_plan_id: int
) -> tuple[list[RiskSnap], list[_Point]]:
    risks = session.exec(
        select(ControlRisk)
        .where(ControlRisk.plan_id == control_plan_id)
        .order_by(col(ControlRisk.position), col(ControlRisk.id))
    ).all()
    numbers = {r.id: n for n, r in enumerate(risks, start=1)}
    by_id = {r.id: r for r in risks}
    points = session.exec(
        select(ControlPoint)
        .where(col(ControlPoint.risk_id).in_(list(numbers)))
        .order_by(col(ControlPoint.position), col(ControlPoint.id))
    ).all()
    owners = _names_of(session, {p.owner_id for p in points if p.owner_id is not None})
    ordered = sorted(points, key=lambda p: (numbers[p.risk_id], p.position, p.id or 0))
    return (
        [
            RiskSnap(
                number=numbers[r.id],
                process=r.process,
                name=r.name,
                likelihood=r.likelihood,
                consequence=r.consequence,
                handling=r.handling,
            )
            for r in risks
        ],
        [
            _Point(
                point=p,
                risk_number=numbers[p.risk_id],
                process=by_id[p.risk_id].process,
                owner=owners.get(p.owner_id, "") if p.owner_id is not None else "",
            )
            for p in ordered
        ],
    )


def _day(at: datetime | None, tz: ZoneInfo) -> date | None:
    return local_date(at, tz) if at is not None else None


def _names_of(session: Session, person_ids: set[int]) -> dict[int, str]:
    """Each person as the report names them: by name, or by e-mail when they have none."""
    people = session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()
    return {p.id: p.name or p.email for p in people if p.id is not None}


def build_control_snapshot(
    session: Session,
    registry: WorkflowRegistry,
    control_plan: ControlPlan,
    *,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    draft_days: int,
) -> ControlSnapshot:
    """The internkontrollplan's follow-up as of `as_of`, replayed from the event history,
    with its risk matrix on the scale the plan was assessed on."""
    assert control_plan.id is not None
    scale = scale_of(control_plan)
    plan = ensure_action_plan(session, control_plan, now=now)
    assert plan.id is not None
    cutoff = reports.cutoff_for(as_of, now, tz)
    earlier, until = _earlier(session, plan.id, cutoff)
    period = _period(
        session,
        registry,
        plan,
        control_plan.year,
        until,
        as_of=as_of,
        tz=tz,
        draft_days=draft_days,
    )
    risks, points = _risks_and_points(session, control_plan.id)
    by_point = _occurrences_by_point(session, points)
    control_ids = [o.action_id for occurrences in by_point.values() for o in occurrences]
    replayed = _replay_controls(_events(session, control_ids, cutoff), period.since)
    deviations = _deviations(
        session, registry, plan.id, replayed, points, by_point, cutoff=cutoff, period=period, tz=tz
    )
    carried = _carried(session, registry, control_plan, cutoff=cutoff, tz=tz)
    workflows = {
        name: reports.workflow_states(registry, name)
        for name in sorted(
            {CONTROL_WORKFLOW, ACTION_WORKFLOW}
            | {w for w, _ in deviations}
            | {w for w, _ in carried}
        )
        if name in registry.names()
    }
    return ControlSnapshot(
        plan=reports.plan_snap(plan),
        control_plan=_control_plan_snap(control_plan),
        as_of=as_of,
        cutoff=cutoff,
        built_at=now.astimezone(tz),
        period_start=period.start,
        period_name=period.name,
        full_year=period.full_year,
        next_report_on=period.next_report_on,
        workflows=workflows,
        scale=scale.to_dict(),
        risks=tuple(risks),
        points=tuple(
            _point_snap(p, by_point.get(p.point.id or 0, []), replayed, period, as_of=as_of, tz=tz)
            for p in points
        ),
        deviations=tuple(d for _, d in deviations),
        earlier=earlier,
        followed_from=_followed_from(control_plan, period, tz),
        period_end=_period_end(control_plan.year, as_of),
        carried=tuple(c for _, c in carried),
    )


def _period_end(year: int, as_of: date) -> date | None:
    """The plan's last day, when the läge is after it (the year's follow-up drafted after
    new year): the period is the plan's year; None when the period ends on `as_of`."""
    last = date(year, 12, 31)
    return last if as_of > last else None


def _followed_from(control_plan: ControlPlan, period: Period, tz: ZoneInfo) -> date | None:
    """The day the plan came into the product, if within the period: its controls are
    opened from that day on."""
    start = local_date(control_plan.created_at, tz)
    return start if start > period.start else None


def _earlier(
    session: Session, plan_id: int, cutoff: datetime
) -> tuple[tuple[EarlierReport, ...], datetime | None]:
    """The previous issued report, if there is one, and the instant its period ended."""
    try:
        previous, until = _previous(session, plan_id, cutoff)
    except LookupError:
        return (), None
    return (previous,), until


def _occurrences_by_point(
    session: Session, points: list[_Point]
) -> dict[int, list[ControlOccurrence]]:
    """Each control point's occurrences (one a period), by due date."""
    occurrences = session.exec(
        select(ControlOccurrence)
        .where(col(ControlOccurrence.point_id).in_([p.point.id for p in points]))
        .order_by(col(ControlOccurrence.due_on), col(ControlOccurrence.id))
    ).all()
    by_point: dict[int, list[ControlOccurrence]] = defaultdict(list)
    for o in occurrences:
        by_point[o.point_id].append(o)
    return by_point


def _control_plan_snap(control_plan: ControlPlan) -> ControlPlanSnap:
    assert control_plan.id is not None
    return ControlPlanSnap(
        id=control_plan.id,
        title=control_plan.title,
        namnd=control_plan.namnd,
        year=control_plan.year,
        forvaltning=control_plan.forvaltning,
    )


def _point_snap(
    p: _Point,
    occurrences: list[ControlOccurrence],
    replayed: dict[int, _Control],
    period: Period,
    *,
    as_of: date,
    tz: ZoneInfo,
) -> PointSnap:
    """A control point with the controls the report shows."""
    controls = []
    for o in occurrences:
        c = replayed.get(o.action_id)
        if c is not None and _shown(c, o, period, as_of):
            controls.append(_control_snap(o, c, tz))
    return PointSnap(
        risk_number=p.risk_number,
        process=p.process,
        text=p.point.text,
        method=p.point.method,
        frequency_text=p.point.frequency_text,
        owner=p.owner,
        controls=tuple(controls),
    )


def _shown(c: _Control, o: ControlOccurrence, period: Period, as_of: date) -> bool:
    """A control is in the report when it is late on the report date, or was reported or
    assessed in the period (any time in the year, for helår)."""
    if not c.created or c.state is None:
        return False
    if c.state == PLANNED_STATE:
        return o.due_on < as_of
    return c.touched or period.full_year


def _control_snap(o: ControlOccurrence, c: _Control, tz: ZoneInfo) -> ControlSnap:
    assert c.state is not None
    return ControlSnap(
        action_id=o.action_id,
        due_on=o.due_on,
        state=c.state,
        done_on=_day(c.done_at, tz),
        reported_by=c.reported_by,
        result=c.answers.get(RESULT_FIELD, ""),
        deviation=c.answers.get(DEVIATION_FIELD, ""),
        sample=c.answers.get(SAMPLE_FIELD, ""),
        method=c.answers.get(METHOD_FIELD, ""),
        assessment=c.assessment,
        assessed_on=_day(c.assessed_at, tz),
        assessed_by=c.assessed_by,
        reason=c.reason,
        reason_on=_day(c.reason_at, tz),
    )


def _deviations(
    session: Session,
    registry: WorkflowRegistry,
    plan_id: int,
    controls: dict[int, _Control],
    points: list[_Point],
    by_point: dict[int, list[ControlOccurrence]],
    *,
    cutoff: datetime,
    period: Period,
    tz: ZoneInfo,
) -> list[tuple[str, DeviationSnap]]:
    """The åtgärder the controls' deviations opened, each with its workflow's name."""
    point_of = {o.action_id: p for p in points for o in by_point.get(p.point.id or 0, [])}
    opened = session.exec(
        select(Action)
        .where(
            Action.plan_id == plan_id,
            col(Action.opened_from_id).in_(list(point_of)),
        )
        .order_by(col(Action.id))
    ).all()
    if not opened:
        return []
    replayed = _replay_opened(_events(session, [a.id for a in opened if a.id is not None], cutoff))
    owners = _names_of(session, {a.owner_id for a in opened if a.owner_id is not None})
    out = []
    for a in opened:
        assert a.id is not None and a.opened_from_id is not None
        r = replayed.get(a.id)
        if r is None or not _deviation_shown(registry, a.workflow, r, period):
            continue
        snap = _deviation_snap(
            a, r, controls.get(a.opened_from_id), point_of[a.opened_from_id], owners, tz
        )
        out.append((a.workflow, snap))
    return out


def _is_done(registry: WorkflowRegistry, workflow: str, state: str | None) -> bool:
    states = registry.get(workflow).definition.states
    return any(st.id == state and st.done for st in states)


def earlier_plans(session: Session, control_plan: ControlPlan) -> list[ControlPlan]:
    """The plans this one was copied from, the nearest first: the one it was copied from,
    the one that was copied from, and so on back, each of an earlier year."""
    found: list[ControlPlan] = []
    seen = {control_plan.id}
    year = control_plan.year
    source_id = control_plan.copied_from_id
    while source_id is not None and source_id not in seen:
        source = session.get(ControlPlan, source_id)
        if source is None or source.year >= year:
            break
        found.append(source)
        seen.add(source_id)
        year, source_id = source.year, source.copied_from_id
    return found


def _carried(
    session: Session,
    registry: WorkflowRegistry,
    control_plan: ControlPlan,
    *,
    cutoff: datetime,
    tz: ZoneInfo,
) -> list[tuple[str, CarriedSnap]]:
    """The åtgärder deviations opened in the earlier years' plans that were not done when
    this plan's year began, as they stand at the cutoff, oldest plan first; each with its
    workflow's name. They go on being reminded and escalated in their own plan; this is
    what tells the nämnd whether they were corrected."""
    year_start = datetime.combine(date(control_plan.year, 1, 1), time(0), tzinfo=tz)
    out: list[tuple[str, CarriedSnap]] = []
    for earlier in reversed(earlier_plans(session, control_plan)):
        if earlier.id is None or earlier.plan_id is None:
            continue
        _, points = _risks_and_points(session, earlier.id)
        by_point = _occurrences_by_point(session, points)
        point_of = {o.action_id: p for p in points for o in by_point.get(p.point.id or 0, [])}
        opened = session.exec(
            select(Action)
            .where(
                Action.plan_id == earlier.plan_id,
                col(Action.opened_from_id).in_(list(point_of)),
            )
            .order_by(col(Action.id))
        ).all()
        events = _events(session, [a.id for a in opened if a.id is not None], cutoff)
        at_start = _replay_opened([(e, who) for e, who in events if e.at < year_start])
        still_open = [
            a
            for a in opened
            if a.id in at_start
            and at_start[a.id].state is not None
            and not _is_done(registry, a.workflow, at_start[a.id].state)
        ]
        if not still_open:
            continue
        replayed = _replay_opened(events)
        sources = {a.opened_from_id for a in still_open if a.opened_from_id is not None}
        controls = _replay_controls(_events(session, sorted(sources), cutoff), year_start)
        owners = _names_of(session, {a.owner_id for a in still_open if a.owner_id is not None})
        for a in still_open:
            assert a.id is not None and a.opened_from_id is not None
            r = replayed[a.id]
            d = _deviation_snap(
                a, r, controls.get(a.opened_from_id), point_of[a.opened_from_id], owners, tz
            )
            closed_at = _closed_at(
                registry, a.workflow, [e for e, _ in events if e.action_id == a.id]
            )
            out.append(
                (
                    a.workflow,
                    CarriedSnap(
                        action_id=d.action_id,
                        plan_year=earlier.year,
                        point_text=d.point_text,
                        control_done_on=d.control_done_on,
                        deviation=d.deviation,
                        text=d.text,
                        owner=d.owner,
                        due_on=d.due_on,
                        state=d.state,
                        note=d.note,
                        note_on=d.note_on,
                        closed_on=_day(closed_at, tz),
                    ),
                )
            )
    return out


def _closed_at(
    registry: WorkflowRegistry, workflow: str, events: list[ActionEvent]
) -> datetime | None:
    """When the åtgärd was last done (or withdrawn), if it is so at the end of `events`."""
    closed_at: datetime | None = None
    for e in events:
        if e.to_state is None:
            continue
        # Evaluated after being done is still done since the first of the two.
        if not _is_done(registry, workflow, e.to_state):
            closed_at = None
        elif closed_at is None:
            closed_at = e.at
    return closed_at


def _deviation_shown(registry: WorkflowRegistry, workflow: str, r: _Opened, period: Period) -> bool:
    """An åtgärd a deviation opened is in the report when it was opened in the period or is
    still not done on the report date; helår shows the whole year's."""
    if r.created_at is None or r.state is None:
        return False
    done = _is_done(registry, workflow, r.state)
    return period.full_year or r.created_at > period.since or not done


def _deviation_snap(
    a: Action,
    r: _Opened,
    source: _Control | None,
    point: _Point,
    owners: dict[int, str],
    tz: ZoneInfo,
) -> DeviationSnap:
    assert a.id is not None and a.opened_from_id is not None
    assert r.created_at is not None and r.state is not None
    # The control's report that opened the åtgärd is the one made at the same instant.
    answers = source.reports_at.get(r.created_at, {}) if source else {}
    return DeviationSnap(
        action_id=a.id,
        control_action_id=a.opened_from_id,
        point_text=f"Risk {point.risk_number}: {point.point.text}",
        control_done_on=_day(r.created_at, tz),
        deviation=answers.get(DEVIATION_FIELD, ""),
        text=a.text,
        owner=owners.get(a.owner_id, "") if a.owner_id is not None else "",
        due_on=a.due_on,
        state=r.state,
        note=r.note,
        note_on=_day(r.note_at, tz),
    )


# --- Drafting and the chef's assessment -----------------------------------------------------


def draft_control_report(
    session: Session,
    registry: WorkflowRegistry,
    control_plan_id: int,
    *,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    draft_days: int,
    created_by: str = "systemet",
) -> Report:
    """A draft of the internkontrollplan's follow-up as of `as_of`, through the återrapport's
    own drafting (numbering, checks and archive are the same)."""
    control_plan = session.get(ControlPlan, control_plan_id)
    if control_plan is None:
        raise NotFound(f"Det finns ingen internkontrollplan med nummer {control_plan_id}.")
    plan = ensure_action_plan(session, control_plan, now=now)
    assert plan.id is not None
    if as_of.year < control_plan.year:
        raise Refused(
            f"Internkontrollplanen gäller {control_plan.year}; uppföljningens datum "
            f"{as_of.isoformat()} ligger före planens år."
        )
    return reports.draft_report(
        session,
        registry,
        plan.id,
        as_of=as_of,
        now=now,
        tz=tz,
        draft_days=draft_days,
        created_by=created_by,
    )


def write_assessment(
    session: Session,
    report_id: int,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Report:
    """Write the chef's overall assessment into a draft of the follow-up. Once the draft is
    approved it is frozen with the rest of the report."""
    report = reports.get_report(session, report_id)
    snapshot = reports.document_snapshot(report)
    if not isinstance(snapshot, ControlSnapshot):
        raise Refused("Bara en uppföljning av internkontrollplanen har en samlad bedömning.")
    if report.state != DRAFT_STATE:
        raise Refused(
            f"{reports.report_title(report)} är godkänd; bedömningen kan inte ändras längre."
        )
    seen = report.version if expected_version is None else expected_version
    if seen != report.version:
        raise Conflict(
            "Utkastet har ändrats av någon annan sedan du öppnade det. "
            "Ingenting sparades; ladda om och försök igen."
        )
    plan = session.get(Plan, report.plan_id)
    assert plan is not None
    if not action_roles(actor, plan, None):
        raise Refused("Bara chefen för planens förvaltning får skriva den samlade bedömningen.")
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not cleaned:
        raise Refused("Skriv den samlade bedömningen innan du sparar.")
    if len(cleaned) > ASSESSMENT_LIMIT:
        raise Refused(f"Bedömningen är {len(cleaned)} tecken; högst {ASSESSMENT_LIMIT} får plats.")
    changed = snapshot.with_assessment(cleaned, actor.name or actor.email)
    reports.rewrite_draft(session, report, seen, snapshot_json=changed.to_json())
    return report
