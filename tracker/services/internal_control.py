"""Internkontroll: importing a nämnd's internkontrollplan from a file, listing the plans and
showing one with its risks (value and band) and the next date of each kontrollmoment.

The `tracker internkontroll` commands call these functions. A nämnd has one plan per year: a
second import for the same nämnd and year is refused, so an adopted plan is never silently
replaced by a later file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.domain import control_file
from tracker.domain.controls import next_occurrence, parse_frequency
from tracker.domain.reading import COMMAND_LINE_LIMITS, ReadLimits
from tracker.domain.risk import DEFAULT_SCALE, RiskScale
from tracker.domain.workdays import WorkCalendar
from tracker.errors import NotFound, Refused
from tracker.models import ControlPlan, ControlPoint, ControlRisk, Person
from tracker.services.people import ensure_person, find_person, valid_email

# A plan year outside this range is a typing error, not a plan.
FIRST_YEAR = 2000
LAST_YEAR = 2100
NAME_LIMIT = 200


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


def plan_title(namnd: str, year: int) -> str:
    return f"Internkontrollplan {year} – {namnd}"


def import_control_plan(
    session: Session,
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
    the nämnd's plan for `year`. Refused if the nämnd already has a plan for that year."""
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
    existing = session.exec(
        select(ControlPlan).where(ControlPlan.namnd == namnd, ControlPlan.year == year)
    ).first()
    if existing is not None:
        raise Refused(
            f"{namnd} har redan en internkontrollplan för {year} (nummer {existing.id}); "
            "ingenting sparades."
        )
    plan = ControlPlan(
        namnd=namnd,
        year=year,
        forvaltning=forvaltning,
        title=plan_title(namnd, year),
        filename=filename,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None
    created: set[int] = set()

    def owner(name: str | None, email: str | None) -> int | None:
        if email is None:
            return None
        known = find_person(session, email) is not None
        person = ensure_person(session, email, now=now, name=name or "", forvaltning=forvaltning)
        assert person.id is not None
        if not known:
            created.add(person.id)
        return person.id

    risks = controls = handled_otherwise = 0
    position = 0
    for process in read.processes:
        for risk in process.risks:
            position += 1
            notes = risk.notes
            handling_owner = next((n for n in notes if n.owner_email), None)
            row = ControlRisk(
                plan_id=plan.id,
                process=process.name,
                name=risk.name,
                likelihood=risk.likelihood,
                consequence=risk.consequence,
                position=position,
                handling="\n".join(n.text for n in notes if n.text),
                handling_owner_id=(
                    owner(handling_owner.owner_name, handling_owner.owner_email)
                    if handling_owner
                    else None
                ),
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            risks += 1
            if not risk.controls:
                handled_otherwise += 1
            for number, point in enumerate(risk.controls, start=1):
                session.add(
                    ControlPoint(
                        risk_id=row.id,
                        text=point.text,
                        method=point.method,
                        frequency_text=point.frequency_text,
                        owner_id=owner(point.owner_name, point.owner_email),
                        position=number,
                    )
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
        warnings=[str(w) for w in read.warnings],
    )


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
class PointView:
    id: int
    text: str
    method: str
    frequency_text: str
    owner_name: str | None
    owner_email: str | None
    # The next day the control is due within the plan's year; None once the year's are past.
    next_on: date | None


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


def next_control_date(
    frequency_text: str, year: int, today: date, cal: WorkCalendar
) -> date | None:
    """The first day on or after `today` that a control of the plan for `year` is due; a
    control due today is still to be made. Days outside the plan's year belong to another
    plan, so None once the year's days are past."""
    after = max(today - timedelta(days=1), date(year - 1, 12, 31))
    found = next_occurrence(parse_frequency(frequency_text), after, cal)
    return found if found is not None and found.year == year else None


def control_plan_view(
    session: Session,
    plan_id: int,
    *,
    today: date,
    cal: WorkCalendar,
    scale: RiskScale = DEFAULT_SCALE,
) -> PlanView:
    plan = session.get(ControlPlan, plan_id)
    if plan is None:
        raise NotFound(f"Det finns ingen internkontrollplan med nummer {plan_id}.")
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
    by_risk: dict[int, list[PointView]] = {}
    for p in points:
        person = people.get(p.owner_id) if p.owner_id is not None else None
        by_risk.setdefault(p.risk_id, []).append(
            PointView(
                id=p.id or 0,
                text=p.text,
                method=p.method,
                frequency_text=p.frequency_text,
                owner_name=person.name if person else None,
                owner_email=person.email if person else None,
                next_on=next_control_date(p.frequency_text, plan.year, today, cal),
            )
        )
    views = []
    for number, r in enumerate(risks, start=1):
        value = scale.risk_value(r.likelihood, r.consequence)
        band = scale.band_of(value)
        handler = people.get(r.handling_owner_id) if r.handling_owner_id is not None else None
        views.append(
            RiskView(
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
                controls=by_risk.get(r.id or 0, []),
            )
        )
    return PlanView(
        id=plan.id or 0,
        title=plan.title,
        namnd=plan.namnd,
        year=plan.year,
        forvaltning=plan.forvaltning,
        filename=plan.filename,
        today=today,
        risks=views,
    )


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
                    }
                    for c in r.controls
                ],
            }
            for r in view.risks
        ],
    }
