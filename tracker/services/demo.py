"""Demo data: the Piteå plan as of 2018-01-10, with its förvaltningschef and the nämnd."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from tracker.models import Person, Role
from tracker.services import importing, people, plans
from workflows import WorkflowRegistry

# The plan's own date: the history starts there, so an återrapport as of that day works.
PLAN_DATE = datetime(2018, 1, 10, 8, 0, tzinfo=UTC)
CHEF_EMAIL = "malin.westling@pitea.example"
BOARD_EMAIL = "bun.sekreterare@pitea.example"


@dataclass(frozen=True)
class Demo:
    plan_id: int
    chef: Person
    created: bool


def seed_demo(session: Session, registry: WorkflowRegistry, plan_file: Path) -> Demo:
    """Import the example plan (a re-run changes nothing) and add its chef and nämnd reader."""
    result = importing.import_file(session, registry, plan_file, now=PLAN_DATE)
    plan = plans.get_plan(session, result.plan_id)
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
    return Demo(plan_id=result.plan_id, chef=chef, created=result.plan_created)
