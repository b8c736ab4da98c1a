"""Internkontroll: importing a nämnd's internkontrollplan from a file, listing the plans and
showing one with its risks (value and band) and the next date of each kontrollmoment, and
changing a plan by hand: a risk or a kontrollmoment added, a kontrollmoment's method,
frequency and owner changed.

The `tracker internkontroll` commands call these functions. A nämnd has one plan per year: a
second import for the same nämnd and year is refused, so an adopted plan is never silently
replaced by a later file.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from config import Settings
from tracker.domain import control_file
from tracker.domain.control_report import PLANNED_STATE, RESULT_FIELD, answer_values
from tracker.domain.controls import next_occurrence, parse_frequency
from tracker.domain.problems import Problem
from tracker.domain.reading import COMMAND_LINE_LIMITS, ReadLimits
from tracker.domain.risk import DEFAULT_SCALE, OutOfScale, RiskScale
from tracker.domain.tidsplan import FIRST_YEAR, LAST_YEAR
from tracker.domain.workdays import WorkCalendar
from tracker.errors import NotFound, Refused
from tracker.models import (
    Action,
    ActionEvent,
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    ControlRisk,
    Person,
    PlanEvent,
)
from tracker.services import assigning, control_occurrences, plan_settings
from tracker.services.link_mail import take_back
from tracker.services.people import (
    ensure_person,
    find_person,
    unused_name,
    unused_name_warning,
    valid_email,
)
from tracker.services.plan_settings import (
    POINT_ADDED,
    POINT_CHANGED,
    RISK_ADDED,
    RISK_HANDLING_CHANGED,
    RISK_REASSESSED,
)
from workflows import WorkflowRegistry

NAME_LIMIT = 200
# A risk's and a kontrollmoment's text, and a method: a few sentences in a plan's cell.
TEXT_LIMIT = 2000
# A frequency as written: "15 mars, 15 juni, 15 september och 15 december" fits many times.
FREQUENCY_LIMIT = 200


@dataclass(frozen=True)
class ImportResult:
    plan_id: int
    title: str
    processes: int
    risks: int
    controls: int
    # Risks without a kontrollmoment: accepted, or handled some other way.
    handled_otherwise: int
    owners_created: int
    warnings: list[str] = field(default_factory=list)
    # Risks the nämnd answered with an åtgärd straight away: the åtgärder made.
    actions_decided: int = 0


def plan_title(namnd: str, year: int) -> str:
    return f"Internkontrollplan {year} – {namnd}"


def import_control_plan(
    session: Session,
    registry: WorkflowRegistry,
    data: bytes,
    filename: str,
    *,
    namnd: str,
    year: int,
    forvaltning: str = "",
    now: datetime,
    limits: ReadLimits = COMMAND_LINE_LIMITS,
    scale: RiskScale = DEFAULT_SCALE,
) -> ImportResult:
    """Read the whole file (FileRefused with every problem, nothing written) and store it as
    the nämnd's plan for `year`. Refused if the nämnd already has a plan for that year. A
    risk the nämnd answers with an åtgärd ("Åtgärd: …" in Metod) gets it straight away, in
    the plan's "Åtgärder från internkontroll"."""
    namnd = " ".join(namnd.split())
    forvaltning = " ".join(forvaltning.split())
    if not namnd:
        raise Refused("Ange nämnden som har antagit internkontrollplanen.")
    if len(namnd) > NAME_LIMIT or len(forvaltning) > NAME_LIMIT:
        raise Refused(f"Nämndens och förvaltningens namn får vara högst {NAME_LIMIT} tecken.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused(f"Året ska vara mellan {FIRST_YEAR} och {LAST_YEAR}, inte {year}.")
    read = control_file.read_control_file(
        data, filename, valid_email=valid_email, limits=limits, levels=scale.levels
    )
    _refuse_a_second_plan(session, namnd, year, "ingenting sparades")
    plan = ControlPlan(
        namnd=namnd,
        year=year,
        forvaltning=forvaltning,
        title=plan_title(namnd, year),
        filename=filename,
        created_at=now,
        risk_scale_json=json.dumps(scale.to_dict(), ensure_ascii=False),
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None
    # Its controls and the åtgärder they open live in an åtgärdsplan of its own.
    actions_plan = control_occurrences.ensure_action_plan(session, plan, now=now)
    decided = 0
    created: set[int] = set()

    unused: list[str] = []

    def owner(entry: control_file.RiskNote | control_file.ControlPoint) -> int | None:
        email, name = entry.owner_email, entry.owner_name or ""
        if email is None:
            return None
        known = find_person(session, email) is not None
        person = ensure_person(session, email, now=now, name=name, forvaltning=forvaltning)
        assert person.id is not None
        if not known:
            created.add(person.id)
        if unused_name(person, name):
            # As the plan import: the address is the person's, the name typed is not theirs.
            warning = unused_name_warning(person, name)
            unused.append(
                str(Problem(warning, entry.row, control_file.COLUMN["owner_name"].header))
            )
        return person.id

    risks = controls = handled_otherwise = 0
    position = 0
    for process in read.processes:
        for risk in process.risks:
            position += 1
            notes = risk.notes
            handling_owner = next((n for n in notes if n.owner_email), None)
            row = _store_risk(
                session,
                plan.id,
                process=process.name,
                name=risk.name,
                likelihood=risk.likelihood,
                consequence=risk.consequence,
                position=position,
                handling="\n".join(n.text for n in notes if n.text),
                handling_owner_id=(owner(handling_owner) if handling_owner else None),
            )
            assert row.id is not None
            risks += 1
            if not risk.controls:
                handled_otherwise += 1
            for note in notes:
                text = control_file.decided_action(note.text)
                if text is None:
                    continue
                responsible = owner(note)
                control_occurrences.add_decided_action(
                    session,
                    registry,
                    actions_plan,
                    text=f"{text} (risk: {risk.name})",
                    owner=session.get(Person, responsible) if responsible else None,
                    now=now,
                )
                decided += 1
            for number, point in enumerate(risk.controls, start=1):
                _store_point(
                    session,
                    row.id,
                    text=point.text,
                    method=point.method,
                    frequency_text=point.frequency_text,
                    owner_id=owner(point),
                    position=number,
                )
                controls += 1
    session.flush()
    return ImportResult(
        plan_id=plan.id,
        title=plan.title,
        processes=len(read.processes),
        risks=risks,
        controls=controls,
        handled_otherwise=handled_otherwise,
        owners_created=len(created),
        warnings=[str(w) for w in read.warnings] + unused,
        actions_decided=decided,
    )


def _refuse_a_second_plan(session: Session, namnd: str, year: int, outcome: str) -> None:
    """A nämnd has one internkontrollplan a year: Refused, naming the one it has."""
    existing = session.exec(
        select(ControlPlan).where(ControlPlan.namnd == namnd, ControlPlan.year == year)
    ).first()
    if existing is not None:
        raise Refused(
            f"{namnd} har redan en internkontrollplan för {year} (nummer {existing.id}); {outcome}."
        )


def scale_of(plan: ControlPlan) -> RiskScale:
    """The risk scale the plan was assessed on (the default for a plan that kept none)."""
    if not plan.risk_scale_json:
        return DEFAULT_SCALE
    return RiskScale.from_dict(json.loads(plan.risk_scale_json))


def get_control_plan(session: Session, plan_id: int) -> ControlPlan:
    plan = session.get(ControlPlan, plan_id)
    if plan is None:
        raise NotFound(f"Det finns ingen internkontrollplan med nummer {plan_id}.")
    return plan


@dataclass(frozen=True)
class PlanSummary:
    id: int
    title: str
    namnd: str
    year: int
    forvaltning: str
    risks: int
    controls: int


def list_control_plans(session: Session) -> list[PlanSummary]:
    """Every internkontrollplan, the latest year first."""
    risk_counts = dict(
        session.exec(
            select(ControlRisk.plan_id, func.count()).group_by(col(ControlRisk.plan_id))
        ).all()
    )
    control_counts = dict(
        session.exec(
            select(ControlRisk.plan_id, func.count())
            .join(ControlPoint, col(ControlPoint.risk_id) == col(ControlRisk.id))
            .group_by(col(ControlRisk.plan_id))
        ).all()
    )
    plans = session.exec(
        select(ControlPlan).order_by(col(ControlPlan.year).desc(), col(ControlPlan.namnd))
    ).all()
    return [
        PlanSummary(
            id=p.id or 0,
            title=p.title,
            namnd=p.namnd,
            year=p.year,
            forvaltning=p.forvaltning,
            risks=risk_counts.get(p.id or 0, 0),
            controls=control_counts.get(p.id or 0, 0),
        )
        for p in plans
    ]


@dataclass(frozen=True)
class ControlRun:
    """A control of a kontrollmoment opened so far: when due, its åtgärd, its state and the
    result its owner reported ("Utan anmärkning", "Avvikelse"; empty before)."""

    due_on: date
    action_id: int
    state: str
    state_label: str
    result: str
    # Reported (or struck): nothing is left to do on this day.
    done: bool = False


@dataclass(frozen=True)
class PointView:
    id: int
    text: str
    method: str
    frequency_text: str
    owner_name: str | None
    owner_email: str | None
    # The next day the control is due within the plan's year; None once the year's are past.
    next_on: date | None
    runs: list[ControlRun] = field(default_factory=list)


@dataclass(frozen=True)
class RiskView:
    id: int
    number: int
    process: str
    name: str
    likelihood: int
    consequence: int
    value: int
    band: str
    colour: str
    handling: str
    handling_owner_name: str | None
    controls: list[PointView]
    handling_owner_email: str | None = None


@dataclass(frozen=True)
class PlanView:
    id: int
    title: str
    namnd: str
    year: int
    forvaltning: str
    filename: str
    today: date
    risks: list[RiskView]
    # The åtgärdsplan that holds the plan's controls and the åtgärder of its deviations.
    actions_plan_id: int | None = None


def next_control_date(
    frequency_text: str,
    year: int,
    today: date,
    cal: WorkCalendar,
    reported: Collection[date] = (),
) -> date | None:
    """The first day on or after `today` that a control of the plan for `year` is due and
    not yet reported; a control due today is still to be made unless it is reported.
    `reported`: the days whose control is reported (or struck) already, often before its
    day, as an owner reports when the work is done. Days outside the plan's year belong to
    another plan, so None once the year's days are past."""
    after = max(today - timedelta(days=1), date(year - 1, 12, 31))
    frequency = parse_frequency(frequency_text)
    found = next_occurrence(frequency, after, cal)
    # Occurrences only grow and `reported` is finite, so this ends.
    while found is not None and found in reported:
        found = next_occurrence(frequency, found, cal)
    return found if found is not None and found.year == year else None


def control_plan_view(
    session: Session,
    plan_id: int,
    *,
    today: date,
    cal: WorkCalendar,
    registry: WorkflowRegistry | None = None,
) -> PlanView:
    """The plan with its risks on its own scale and, per kontrollmoment, the next date it is
    due and not yet reported and (given the registry, for the states' labels and which are
    done) the controls opened so far."""
    plan = session.get(ControlPlan, plan_id)
    if plan is None:
        raise NotFound(f"Det finns ingen internkontrollplan med nummer {plan_id}.")
    scale = scale_of(plan)
    risks = session.exec(
        select(ControlRisk)
        .where(ControlRisk.plan_id == plan_id)
        .order_by(col(ControlRisk.position), col(ControlRisk.id))
    ).all()
    points = session.exec(
        select(ControlPoint)
        .where(col(ControlPoint.risk_id).in_([r.id for r in risks]))
        .order_by(col(ControlPoint.position), col(ControlPoint.id))
    ).all()
    person_ids = {p.owner_id for p in points} | {r.handling_owner_id for r in risks}
    people = {
        p.id: p
        for p in session.exec(select(Person).where(col(Person.id).in_(person_ids - {None}))).all()
    }
    runs = _runs(session, registry, [p.id for p in points if p.id]) if registry else {}
    by_risk: dict[int, list[PointView]] = {}
    for p in points:
        view = _point_view(p, people, runs, plan.year, today, cal)
        by_risk.setdefault(p.risk_id, []).append(view)
    views = [
        _risk_view(number, r, scale, people, by_risk.get(r.id or 0, []))
        for number, r in enumerate(risks, start=1)
    ]
    return PlanView(
        id=plan.id or 0,
        title=plan.title,
        namnd=plan.namnd,
        year=plan.year,
        forvaltning=plan.forvaltning,
        filename=plan.filename,
        today=today,
        risks=views,
        actions_plan_id=plan.plan_id,
    )


def _point_view(
    p: ControlPoint,
    people: dict[int | None, Person],
    runs: dict[int, list[ControlRun]],
    year: int,
    today: date,
    cal: WorkCalendar,
) -> PointView:
    person = people.get(p.owner_id)
    point_runs = runs.get(p.id or 0, [])
    return PointView(
        id=p.id or 0,
        text=p.text,
        method=p.method,
        frequency_text=p.frequency_text,
        owner_name=person.name if person else None,
        owner_email=person.email if person else None,
        next_on=next_control_date(
            p.frequency_text, year, today, cal, {r.due_on for r in point_runs if r.done}
        ),
        runs=point_runs,
    )


def _risk_view(
    number: int,
    r: ControlRisk,
    scale: RiskScale,
    people: dict[int | None, Person],
    controls: list[PointView],
) -> RiskView:
    value = scale.risk_value(r.likelihood, r.consequence)
    band = scale.band_of(value)
    handler = people.get(r.handling_owner_id)
    return RiskView(
        id=r.id or 0,
        number=number,
        process=r.process,
        name=r.name,
        likelihood=r.likelihood,
        consequence=r.consequence,
        value=value,
        band=band.label,
        colour=band.colour,
        handling=r.handling,
        handling_owner_name=handler.name if handler else None,
        controls=controls,
        handling_owner_email=handler.email if handler else None,
    )


def _runs(
    session: Session, registry: WorkflowRegistry, point_ids: list[int]
) -> dict[int, list[ControlRun]]:
    """Per kontrollmoment, the controls opened, in date order, with the latest result."""
    rows = session.exec(
        select(ControlOccurrence, Action)
        .join(Action, col(Action.id) == ControlOccurrence.action_id)
        .where(col(ControlOccurrence.point_id).in_(point_ids))
        .order_by(col(ControlOccurrence.due_on))
    ).all()
    results: dict[int, str] = {}
    reported = session.exec(
        select(ActionEvent)
        .where(
            col(ActionEvent.action_id).in_([a.id for _, a in rows]),
            col(ActionEvent.answers_json).is_not(None),
        )
        .order_by(col(ActionEvent.id))
    ).all()
    for event in reported:
        answers = answer_values(event.answers_json)
        if RESULT_FIELD in answers:
            results[event.action_id] = answers[RESULT_FIELD]
    found: dict[int, list[ControlRun]] = {}
    for occurrence, action in rows:
        state = registry.get(action.workflow).definition.state(action.state)
        found.setdefault(occurrence.point_id, []).append(
            ControlRun(
                due_on=occurrence.due_on,
                action_id=action.id or 0,
                state=action.state,
                state_label=state.label,
                done=state.done,
                # A control sent back to be done again has no result until it is reported.
                result=results.get(action.id or 0, "") if action.state != PLANNED_STATE else "",
            )
        )
    return found


def as_json(view: PlanView) -> dict[str, Any]:
    """The plan view as plain JSON values, for `--json` and scripts."""
    return {
        "id": view.id,
        "title": view.title,
        "namnd": view.namnd,
        "year": view.year,
        "forvaltning": view.forvaltning,
        "per": view.today.isoformat(),
        "risks": [
            {
                "number": r.number,
                "process": r.process,
                "name": r.name,
                "likelihood": r.likelihood,
                "consequence": r.consequence,
                "value": r.value,
                "band": r.band,
                "handling": r.handling,
                "handling_owner": r.handling_owner_name,
                "controls": [
                    {
                        "text": c.text,
                        "method": c.method,
                        "frequency": c.frequency_text,
                        "owner": c.owner_name,
                        "owner_email": c.owner_email,
                        "next_on": c.next_on.isoformat() if c.next_on else None,
                        "opened": [
                            {
                                "due_on": run.due_on.isoformat(),
                                "action_id": run.action_id,
                                "state": run.state,
                                "result": run.result,
                            }
                            for run in c.runs
                        ],
                    }
                    for c in r.controls
                ],
            }
            for r in view.risks
        ],
    }


@dataclass(frozen=True)
class Copied:
    plan_id: int
    title: str
    risks: int
    controls: int


def copy_to_year(session: Session, source_id: int, *, year: int, now: datetime) -> Copied:
    """Next year's plan from this one: the same processes, risks (with this year's
    assessment, to be re-assessed), kontrollmoment, owners and risk scale. Refused when the
    nämnd already has a plan for that year, or when the year is not after the plan's own:
    a plan is carried forward, and its open deviations are followed up from the plans after
    it (tracker.services.control_report)."""
    source = get_control_plan(session, source_id)
    if year <= source.year:
        raise Refused(
            f"Internkontrollplanen gäller {source.year}; den nya planen ska gälla ett senare "
            f"år, inte {year}."
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused(f"Året ska vara mellan {FIRST_YEAR} och {LAST_YEAR}, inte {year}.")
    _refuse_a_second_plan(session, source.namnd, year, "ingenting kopierades")
    plan = ControlPlan(
        namnd=source.namnd,
        year=year,
        forvaltning=source.forvaltning,
        title=plan_title(source.namnd, year),
        filename=f"kopia av {source.title}",
        created_at=now,
        risk_scale_json=source.risk_scale_json,
        copied_from_id=source.id,
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None
    control_occurrences.ensure_action_plan(session, plan, now=now)
    risks = risks_of(session, source_id)
    points = _points_by_risk(session, [r.id for r in risks if r.id is not None])
    controls = 0
    for risk in risks:
        copy = _store_risk(
            session,
            plan.id,
            process=risk.process,
            name=risk.name,
            likelihood=risk.likelihood,
            consequence=risk.consequence,
            position=risk.position,
            handling=risk.handling,
            handling_owner_id=risk.handling_owner_id,
        )
        assert copy.id is not None
        for point in points.get(risk.id or 0, []):
            _store_point(
                session,
                copy.id,
                text=point.text,
                method=point.method,
                frequency_text=point.frequency_text,
                owner_id=point.owner_id,
                position=point.position,
            )
            controls += 1
    session.flush()
    return Copied(plan.id, plan.title, len(risks), controls)


def reassess(
    session: Session,
    plan_id: int,
    assessments: Mapping[int, tuple[int, int]],
    *,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> list[str]:
    """New sannolikhet and konsekvens for the plan's risks, by risk number (1, 2, ... as the
    plan lists them), checked against the plan's scale: the names of the risks changed, each
    change in the plan's history with who made it (`actor`, else `label`). Refused whole
    when one is off the scale or names no risk of the plan."""
    plan = get_control_plan(session, plan_id)
    scale = scale_of(plan)
    risks = risks_of(session, plan_id)
    changed: list[str] = []
    for number, (likelihood, consequence) in sorted(assessments.items()):
        if not 1 <= number <= len(risks):
            raise Refused(f"Planen har ingen risk {number}; den har {len(risks)}.")
        risk = risks[number - 1]
        try:
            scale.risk_value(likelihood, consequence)
        except OutOfScale as exc:
            raise Refused(f"Risk {number}, {risk.name}: {exc.message}") from None
        if (risk.likelihood, risk.consequence) != (likelihood, consequence):
            old = _assessment_text(number, risk, scale)
            risk.likelihood, risk.consequence = likelihood, consequence
            session.add(risk)
            changed.append(risk.name)
            new = _assessment_text(number, risk, scale)
            _record(
                session, plan, RISK_REASSESSED, old=old, new=new, now=now, actor=actor, label=label
            )
    session.flush()
    return changed


def change_risk_handling_owner(
    session: Session,
    plan_id: int,
    risk_id: int,
    *,
    owner: Person | None,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> bool:
    """Who answers for the handling of the plan's risk (`handling`, when no kontrollmoment
    controls it): `owner`, or nobody; the change in the plan's history with who made it
    (`actor`, else `label`), as reassess records its. A copy to next year keeps it. False
    when it already was theirs."""
    plan = get_control_plan(session, plan_id)
    risk = _risk_of_plan(session, plan_id, risk_id)
    new_id = owner.id if owner is not None else None
    if risk.handling_owner_id == new_id:
        return False
    before = session.get(Person, risk.handling_owner_id) if risk.handling_owner_id else None
    number = next(n for n, r in enumerate(risks_of(session, plan_id), start=1) if r.id == risk_id)
    risk.handling_owner_id = new_id
    session.add(risk)
    session.flush()
    _record(
        session,
        plan,
        RISK_HANDLING_CHANGED,
        old=_handling_text(number, risk, before),
        new=_handling_text(number, risk, owner),
        now=now,
        actor=actor,
        label=label,
    )
    return True


def _handling_text(number: int, risk: ControlRisk, owner: Person | None) -> str:
    """A risk's handling and who answers for it, as the history shows it."""
    handling = f" ({risk.handling})" if risk.handling else ""
    return f"Risk {number}: {risk.name}{handling}, {_owner_text(owner)}"


def _assessment_text(number: int, risk: ControlRisk, scale: RiskScale) -> str:
    """A risk's assessment as the history shows it."""
    value = scale.risk_value(risk.likelihood, risk.consequence)
    return (
        f"Risk {number}: {risk.name}, sannolikhet {risk.likelihood}, konsekvens "
        f"{risk.consequence}, riskvärde {value} ({scale.band_of(value).label})"
    )


def risk_by_number(session: Session, plan_id: int, number: int) -> ControlRisk:
    """The plan's risk `number` as the plan lists them (1, 2, ...), as the command line
    names a risk; Refused, as reassess refuses, when there is none."""
    get_control_plan(session, plan_id)
    risks = risks_of(session, plan_id)
    if not 1 <= number <= len(risks):
        raise Refused(f"Planen har ingen risk {number}; den har {len(risks)}.")
    return risks[number - 1]


def point_by_number(session: Session, plan_id: int, risk_number: int, number: int) -> ControlPoint:
    """Kontrollmoment `number` of risk `risk_number`, as `tracker internkontroll show`
    numbers them; Refused when there is none."""
    risk = risk_by_number(session, plan_id, risk_number)
    points = _points_by_risk(session, [risk.id or 0]).get(risk.id or 0, [])
    if not 1 <= number <= len(points):
        raise Refused(
            f"Risk {risk_number} har inget kontrollmoment {number}; den har {len(points)}."
        )
    return points[number - 1]


def typed_owner(
    session: Session, plan: ControlPlan, email: str, name: str, *, now: datetime
) -> Person | None:
    """The owner typed in a form or on the command line, through people.ensure_person as
    every owner is made (in the plan's förvaltning when new); None when no address is
    given."""
    if not email.strip():
        return None
    return ensure_person(session, email, now=now, name=name, forvaltning=plan.forvaltning)


def risks_of(session: Session, plan_id: int) -> list[ControlRisk]:
    return list(
        session.exec(
            select(ControlRisk)
            .where(ControlRisk.plan_id == plan_id)
            .order_by(col(ControlRisk.position), col(ControlRisk.id))
        ).all()
    )


def _points_by_risk(session: Session, risk_ids: list[int]) -> dict[int, list[ControlPoint]]:
    found: dict[int, list[ControlPoint]] = {}
    rows = session.exec(
        select(ControlPoint)
        .where(col(ControlPoint.risk_id).in_(risk_ids))
        .order_by(col(ControlPoint.position), col(ControlPoint.id))
    ).all()
    for point in rows:
        found.setdefault(point.risk_id, []).append(point)
    return found


# --- a plan changed by hand -------------------------------------------------------------------
#
# The import, the copy to next year and the forms on the plan's page store risks and
# kontrollmoment through _store_risk and _store_point. A change by hand is also recorded in
# the history of the plan's åtgärdsplan (plan_event, as a plan's settings are), with who made
# it: the import and the copy are the plan's own making and are recorded as its file name.


def _store_risk(
    session: Session,
    plan_id: int,
    *,
    process: str,
    name: str,
    likelihood: int,
    consequence: int,
    position: int,
    handling: str = "",
    handling_owner_id: int | None = None,
) -> ControlRisk:
    row = ControlRisk(
        plan_id=plan_id,
        process=process,
        name=name,
        likelihood=likelihood,
        consequence=consequence,
        position=position,
        handling=handling,
        handling_owner_id=handling_owner_id,
    )
    session.add(row)
    session.flush()
    return row


def _store_point(
    session: Session,
    risk_id: int,
    *,
    text: str,
    method: str,
    frequency_text: str,
    owner_id: int | None,
    position: int,
) -> ControlPoint:
    row = ControlPoint(
        risk_id=risk_id,
        text=text,
        method=method,
        frequency_text=frequency_text,
        owner_id=owner_id,
        position=position,
    )
    session.add(row)
    session.flush()
    return row


def _record(
    session: Session,
    plan: ControlPlan,
    what: str,
    *,
    old: str,
    new: str,
    now: datetime,
    actor: Person | None,
    label: str,
) -> None:
    actions_plan = control_occurrences.ensure_action_plan(session, plan, now=now)
    assert actions_plan.id is not None
    change = plan_settings.PlanChange(what, old, new)
    plan_settings.record_change(session, actions_plan.id, change, now=now, actor=actor, label=label)


def history(session: Session, plan_id: int) -> list[tuple[PlanEvent, plan_settings.PlanChange]]:
    """The internkontrollplan's changes by hand, newest first: read from its åtgärdsplan's
    history as the settings page reads it, without the åtgärdsplan's own settings."""
    plan = get_control_plan(session, plan_id)
    if plan.plan_id is None:
        return []
    return plan_settings.shown_history(session, plan.plan_id, plan_settings.CONTROL_FIELDS)


def _text(value: str, label: str, limit: int, *, required: bool = True) -> str:
    """`value` with its spacing evened out; Refused, starting with `label` so that a form
    can tie the reason to its box, when it is empty (and must not be) or too long."""
    clean = " ".join(value.split())
    if required and not clean:
        raise Refused(f"{label} måste fyllas i.")
    if len(clean) > limit:
        raise Refused(f"{label} får vara högst {limit} tecken.")
    return clean


def checked_frequency(written: str) -> str:
    """The frequency as written, if the import would take it: the same parser and its
    Swedish messages (Refused, tied to the field "frequency")."""
    clean = " ".join(written.split())
    if len(clean) > FREQUENCY_LIMIT:
        message = f"Frekvensen får vara högst {FREQUENCY_LIMIT} tecken."
        raise Refused(message, {"frequency": message})
    try:
        parse_frequency(clean)
    except ValueError as exc:
        raise Refused(str(exc), {"frequency": str(exc)}) from None
    return clean


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


def add_risk(
    session: Session,
    plan_id: int,
    *,
    process: str,
    name: str,
    likelihood: int,
    consequence: int,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> ControlRisk:
    """A risk added to the plan by hand, last in its list, rated on the plan's own scale.
    A process already in the plan keeps its spelling, as in the import. Refused when the
    process already has a risk by that name."""
    plan = get_control_plan(session, plan_id)
    process = _text(process, "Processen", NAME_LIMIT)
    name = _text(name, "Risken", TEXT_LIMIT)
    try:
        scale_of(plan).risk_value(likelihood, consequence)
    except OutOfScale as exc:
        raise Refused(exc.message) from None
    risks = risks_of(session, plan_id)
    process = next((r.process for r in risks if _same(r.process) == _same(process)), process)
    for number, risk in enumerate(risks, start=1):
        if _same(risk.process) == _same(process) and _same(risk.name) == _same(name):
            raise Refused(f"Risken finns redan i processen {process}: risk {number}.")
    position = max((r.position for r in risks), default=0) + 1
    row = _store_risk(
        session,
        plan_id,
        process=process,
        name=name,
        likelihood=likelihood,
        consequence=consequence,
        position=position,
    )
    _record(
        session,
        plan,
        RISK_ADDED,
        old="",
        new=f"Risk {len(risks) + 1}: {name} ({process}), sannolikhet {likelihood}, "
        f"konsekvens {consequence}",
        now=now,
        actor=actor,
        label=label,
    )
    return row


def _risk_of_plan(session: Session, plan_id: int, risk_id: int) -> ControlRisk:
    risk = session.get(ControlRisk, risk_id)
    if risk is None or risk.plan_id != plan_id:
        raise NotFound(f"Internkontrollplanen har ingen risk med nummer {risk_id}.")
    return risk


def add_control_point(
    session: Session,
    plan_id: int,
    risk_id: int,
    *,
    text: str,
    method: str,
    frequency_text: str,
    owner: Person | None,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> ControlPoint:
    """A kontrollmoment added to a risk of the plan by hand, last among the risk's. Its
    frequency is read as the import reads it; the reminder sweep opens its controls as it
    opens an imported one's. `owner` comes from people.ensure_person, as every owner does."""
    plan = get_control_plan(session, plan_id)
    risk = _risk_of_plan(session, plan_id, risk_id)
    text = _text(text, "Kontrollmomentet", TEXT_LIMIT)
    method = _text(method, "Metoden", TEXT_LIMIT, required=False)
    frequency_text = checked_frequency(frequency_text)
    points = _points_by_risk(session, [risk_id]).get(risk_id, [])
    if any(_same(p.text) == _same(text) for p in points):
        raise Refused("Kontrollmomentet finns redan för den här risken.")
    row = _store_point(
        session,
        risk_id,
        text=text,
        method=method,
        frequency_text=frequency_text,
        owner_id=owner.id if owner is not None else None,
        position=max((p.position for p in points), default=0) + 1,
    )
    _record(
        session,
        plan,
        POINT_ADDED,
        old="",
        new=_point_text(risk, row, owner),
        now=now,
        actor=actor,
        label=label,
    )
    return row


def _point_text(risk: ControlRisk, point: ControlPoint, owner: Person | None) -> str:
    """A kontrollmoment as the history shows it."""
    method = f"metod {point.method}, " if point.method else ""
    return f"{point.text} (risk: {risk.name}): {method}{point.frequency_text}, {_owner_text(owner)}"


def _owner_text(owner: Person | None) -> str:
    """Who answers for something, as the history names a person (which erasing replaces)."""
    return f"{owner.name} <{owner.email}>" if owner is not None else "ingen ansvarig"


# Said to whoever leaves a kontrollmoment without owner, so that it is not done unawares.
NO_OWNER_NOTICE = (
    "Kontrollmomentet har ingen ansvarig: kontrollerna som öppnas får ingen ansvarig, och "
    "deras påminnelser går till chefen tills någon blir ansvarig."
)
KEPT_CONTROLS_NOTICE = "De kontroller som redan är öppnade har kvar sin ansvariga."


@dataclass(frozen=True)
class PointChanged:
    """What a change of a kontrollmoment did: whether anything changed, its open controls
    given to the new owner, and whether it was left without owner (its controls to come
    then remind the chef instead, services.reminders)."""

    changed: bool
    risk_id: int
    reassigned: list[Action] = field(default_factory=list)
    owner_removed: bool = False


def change_control_point(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    plan_id: int,
    point_id: int,
    *,
    method: str,
    frequency_text: str,
    owner: Person | None,
    now: datetime,
    actor: Person | None,
    label: str = "",
) -> PointChanged:
    """A kontrollmoment's method, frequency (read as the import reads it) and owner changed.
    A new owner also gets the controls already opened and not yet done, each through
    assigning.assign, which takes back the mail still waiting that told the former owner;
    controls to come are opened for the new owner. `owner` is the owner it is to have: None
    leaves it without one, as an import may (the sweep then opens its controls without
    owner, shown as such, and escalates them to the chef as any); the controls already
    opened keep the owner who has them, as someone must still make them."""
    plan = get_control_plan(session, plan_id)
    point = session.get(ControlPoint, point_id)
    risk = session.get(ControlRisk, point.risk_id) if point is not None else None
    if point is None or risk is None or risk.plan_id != plan_id:
        raise NotFound(f"Internkontrollplanen har inget kontrollmoment med nummer {point_id}.")
    method = _text(method, "Metoden", TEXT_LIMIT, required=False)
    frequency_text = checked_frequency(frequency_text)
    before_owner = session.get(Person, point.owner_id) if point.owner_id else None
    new_owner = owner
    if (point.method, point.frequency_text, point.owner_id) == (
        method,
        frequency_text,
        new_owner.id if new_owner is not None else None,
    ):
        return PointChanged(False, risk.id or 0)
    old = _point_text(risk, point, before_owner)
    point.method, point.frequency_text = method, frequency_text
    point.owner_id = new_owner.id if new_owner is not None else None
    session.add(point)
    session.flush()
    reassigned: list[Action] = []
    if before_owner is not None and (new_owner is None or new_owner.id != before_owner.id):
        # A mail still waiting that tells the former owner the kontrollmoment is theirs (a
        # hand-over's) is no longer true: written anew without it, as for an åtgärd.
        take_back(session, registry, settings, [], new_owner, now=now, points=[point_id])
    if new_owner is not None and (before_owner is None or new_owner.id != before_owner.id):
        for action in _open_controls(session, registry, point_id):
            if action.owner_id == new_owner.id:
                continue
            assert action.id is not None
            assigning.assign(
                session, registry, settings, action.id, new_owner, now=now, actor=actor
            )
            reassigned.append(action)
    _record(
        session,
        plan,
        POINT_CHANGED,
        old=old,
        new=_point_text(risk, point, new_owner),
        now=now,
        actor=actor,
        label=label,
    )
    removed = before_owner is not None and new_owner is None
    return PointChanged(True, risk.id or 0, reassigned, owner_removed=removed)


def _open_controls(session: Session, registry: WorkflowRegistry, point_id: int) -> list[Action]:
    """The kontrollmoment's controls opened and not yet done (reported or struck)."""
    actions = session.exec(
        select(Action)
        .join(ControlOccurrence, col(ControlOccurrence.action_id) == Action.id)
        .where(ControlOccurrence.point_id == point_id)
        .order_by(col(ControlOccurrence.due_on))
    ).all()
    return [a for a in actions if not registry.get(a.workflow).definition.state(a.state).done]
