"""Demo data: the Piteå plan as of 2018-01-10, with its förvaltningschef, the nämnd, the
nämnd's decision the plan answers to and its sammanträdesplan for 2018."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from config import Settings
from tracker.domain.clock import start_of_day
from tracker.domain.meetings import MeetingRow
from tracker.models import Action, Area, Audit, ControlPlan, Person, Plan, Role
from tracker.services import (
    audits,
    importing,
    internal_control,
    meetings,
    people,
    plan_settings,
    plans,
)
from tracker.services.meetings import MeetingImport
from workflows import WorkflowRegistry

# The plan's own date: the history starts there, so an återrapport as of that day works.
PLAN_DATE = datetime(2018, 1, 10, 8, 0, tzinfo=UTC)
CHEF_EMAIL = "malin.westling@pitea.example"
BOARD_EMAIL = "bun.sekreterare@pitea.example"
# The nämnd of the example plan, and of the meetings when the plan names none.
BOARD = "Barn- och utbildningsnämnden"
# The sammanträdesplan, an iCalendar file beside the plan file.
MEETINGS_FILE = "pitea-bun-2018.ics"
# The secretary wants the papers three weeks before a meeting.
LEAD_DAYS = 21
# Invented: the source document names no decision. The audit was in the spring of 2017 and
# the nämnd's last meeting before the summer decided on the plan.
DECISION_ON = date(2017, 6, 14)
DECISION_PARAGRAPH = "§ 45"
REPORT_MONTHS = "6,12"
# Who made the demo's changes, as the plan's history shows it.
DEMO_LABEL = "demodata"


@dataclass(frozen=True)
class Demo:
    plan_id: int
    chef: Person
    created: bool
    # The sammanträdesplan's import, None where there was no file to read.
    meetings: MeetingImport | None = None
    board: str = ""
    audit_id: int | None = None
    # The nämnd's internkontrollplan for the current year, when its file was beside the plan.
    control_plan_id: int | None = None


def meetings_file_for(plan_file: Path) -> Path:
    return plan_file.with_name(MEETINGS_FILE)


# The school förvaltning's typical internkontrollplan, beside the plan file.
CONTROL_PLAN_FILE = "internkontroll-skola.csv"


def seed_demo(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    plan_file: Path,
    *,
    tz: ZoneInfo,
    meetings_file: Path | None = None,
    today: date | None = None,
) -> Demo:
    """Import the example plan (a re-run changes nothing), add its chef and nämnd reader,
    the nämnd's decision, and the nämnd's meetings from `meetings_file` (by default the file
    beside the plan file, when there is one)."""
    result = importing.import_file(session, registry, settings, plan_file, now=PLAN_DATE)
    plan = plans.get_plan(session, result.plan_id)
    board = _set_decision(session, plan)
    if meetings_file is None and meetings_file_for(plan_file).exists():
        meetings_file = meetings_file_for(plan_file)
    imported = None
    if meetings_file is not None:
        rows = meetings.read_meeting_file(meetings_file, board, tz)
        if today is not None:
            rows = [*rows, *_carried_forward(rows, today)]
        imported = meetings.import_meetings(session, rows, lead_days=LEAD_DAYS, now=PLAN_DATE)
    chef = people.ensure_person(
        session,
        CHEF_EMAIL,
        now=PLAN_DATE,
        name="Malin Westling",
        role=Role.chef,
        forvaltning=plan.forvaltning,
    )
    people.ensure_person(
        session,
        BOARD_EMAIL,
        now=PLAN_DATE,
        name="Nämndsekreteraren",
        role=Role.board,
        forvaltning=plan.forvaltning,
    )
    plan.chef_id = chef.id
    plan.board_recipients = plan.board_recipients or BOARD_EMAIL
    session.add(plan)
    audit = _seed_audit(session, plan)
    control_plan = _seed_control_plan(
        session, registry, plan, plan_file.with_name(CONTROL_PLAN_FILE), today
    )
    return Demo(
        control_plan_id=control_plan.id if control_plan else None,
        audit_id=audit.id,
        plan_id=result.plan_id,
        chef=chef,
        created=result.plan_created,
        meetings=imported,
        board=board,
    )


def _carried_forward(rows: list[MeetingRow], today: date) -> list[MeetingRow]:
    """The file's meetings on the same weekday of the same week in each later year up to
    next year's: the demo runs on any day, and the chef's start page is to show the next
    återrapport's deadlines."""
    first = max((r.held_on.year for r in rows), default=today.year)
    out = []
    for year in range(first + 1, today.year + 2):
        for row in rows:
            _, week, weekday = row.held_on.isocalendar()
            try:
                held_on = date.fromisocalendar(year, week, weekday)
            except ValueError:  # week 53 in a year that has none
                continue
            uid = f"{row.uid}-{year}" if row.uid else ""
            out.append(replace(row, held_on=held_on, uid=uid))
    return out


def _set_decision(session: Session, plan: Plan) -> str:
    """The nämnd, its decision and the report months, where the plan lacks them; each change
    is in the plan's history. Returns the nämnd, the name the meetings are stored under."""
    wanted: dict[str, Any] = {"namnd": BOARD, "report_months": REPORT_MONTHS}
    missing = {k: v for k, v in wanted.items() if not getattr(plan, k)}
    # Date and paragraph belong together: a plan with either keeps its own.
    if plan.decision_on is None and not plan.decision_paragraph:
        missing |= {"decision_on": DECISION_ON, "decision_paragraph": DECISION_PARAGRAPH}
    plan_settings.change_plan(session, plan, missing, now=PLAN_DATE, actor=None, label=DEMO_LABEL)
    return plan.namnd


# KPMG's granskning behind the plan. The seed names the auditor, the subject and the spring
# of 2017; the report's date, its Dnr and the yttrande's wording are invented.
AUDIT_TITLE = "Granskning av grundskolans ledningsfunktion"
AUDITOR = "KPMG"
AUDIT_REPORT_ON = date(2017, 4, 28)  # invented
AUDIT_DNR = "BUN 2017/58"  # invented
AUDIT_RECIPIENT = "revisorerna@pitea.example"  # invented
# The plan's section that holds the areas the granskningsrapport pointed out.
AUDIT_SECTION = "Möjliga utvecklingsområden som granskningsrapporten påtalar"
# Invented: the nämnd's yttrande on each of them, after its decision on the plan.
AUDIT_RESPONSE = (
    "Nämnden ställer sig bakom förvaltningens förslag till åtgärder och begär återrapport "
    "enligt åtgärdsplanen."
)


def _seed_audit(session: Session, plan: Plan) -> Audit:
    """The granskning, once: a rekommendation per utvecklingsområde of the plan's section on
    what the granskningsrapport pointed out, each answered by the åtgärder of its area."""
    found = session.exec(
        select(Audit).where(Audit.title == AUDIT_TITLE, Audit.forvaltning == plan.forvaltning)
    ).first()
    if found is not None:
        return found
    audit = audits.create_audit(
        session,
        now=PLAN_DATE,
        title=AUDIT_TITLE,
        auditor=AUDITOR,
        report_on=AUDIT_REPORT_ON,
        dnr=AUDIT_DNR,
        recipient_email=AUDIT_RECIPIENT,
        forvaltning=plan.forvaltning,
        namnd=plan.namnd,
    )
    areas = session.exec(
        select(Area).where(Area.plan_id == plan.id).order_by(col(Area.position))
    ).all()
    for area in areas:
        if area.section.rstrip(":").strip() != AUDIT_SECTION:
            continue
        recommendation = audits.add_recommendation(session, audit, area.title, AUDIT_RESPONSE)
        for action_id in session.exec(select(Action.id).where(Action.area_id == area.id)):
            assert action_id is not None and recommendation.id is not None
            audits.link(session, recommendation.id, action_id)
    return audit


def _seed_control_plan(
    session: Session,
    registry: WorkflowRegistry,
    plan: Plan,
    control_file: Path,
    today: date | None,
) -> ControlPlan | None:
    """The nämnd's internkontrollplan for this year, once, from the example file: it starts
    today, so the scheduler opens the controls due in the coming fortnight (the ones earlier
    in the year were before the plan came into the product)."""
    if not control_file.exists():
        return None
    day = today or PLAN_DATE.date()
    found = session.exec(
        select(ControlPlan).where(ControlPlan.namnd == plan.namnd, ControlPlan.year == day.year)
    ).first()
    if found is not None:
        return found
    result = internal_control.import_control_plan(
        session,
        registry,
        control_file.read_bytes(),
        control_file.name,
        namnd=plan.namnd,
        year=day.year,
        forvaltning=plan.forvaltning,
        now=start_of_day(day),
    )
    return session.get_one(ControlPlan, result.plan_id)
