"""A plan with two owners, the web app on the shared `app` fixture, and a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.helpers import MovableClock
from tracker.app import App
from tracker.models import Person, Role
from tracker.services import people, plans
from tracker.web.main import AppShape, bind, build_app


@dataclass
class World:
    plan_id: int
    area_id: int
    chef: Person
    anna: Person  # owner of a1 and a2
    bo: Person  # owner of b1
    a1: int
    a2: int
    b1: int


@pytest.fixture
def clock(now: datetime) -> MovableClock:
    return MovableClock(now)


# One app for each shape in a test process, bound to each test's App: building it anew for
# each test had FastAPI analyse every route again, half of these tests' time.
_BUILT: dict[AppShape, FastAPI] = {}


@pytest.fixture
def web(app: App, clock: MovableClock) -> FastAPI:
    shape = AppShape.of(app.settings)
    built = _BUILT.get(shape)
    if built is None:
        built = _BUILT[shape] = build_app(shape)
    bind(built, app, clock=clock)
    return built


@pytest.fixture
def client(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as c:
        yield c


@pytest.fixture
def world(app: App, now: datetime, chef: Person) -> World:
    with app.transaction() as s:
        plan = plans.create_plan(
            s,
            now=now,
            title="Åtgärdsplan efter granskning av ekonomiskt bistånd",
            forvaltning=chef.forvaltning,
            dnr="SN 2017/123",
        )
        area = plans.ensure_area(s, plan, "Ekonomiskt bistånd")
        other = plans.ensure_area(s, plan, "Intern kontroll")
        anna = people.ensure_person(s, "anna.berg@pitea.example", now=now, name="Anna Berg")
        bo = people.ensure_person(s, "bo.lind@pitea.example", now=now, name="Bo Lind")
        a1 = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text="Ta fram rutin för handläggning",
            owner=anna,
            tidsplan="Klart till mars 2018. Utvärderas oktober 2018.",
            due_on=date(2018, 3, 31),
            evaluate_on=date(2018, 10, 31),
        )
        a2 = plans.add_action(
            s, app.registry, other, now=now, text="Stickprov varje kvartal", owner=anna
        )
        b1 = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text="Utbilda handläggarna",
            owner=bo,
            due_on=date(2018, 2, 28),
        )
        assert plan.id and area.id and a1.id and a2.id and b1.id
        return World(plan.id, area.id, chef, anna, bo, a1.id, a2.id, b1.id)


@pytest.fixture
def board(app: App, now: datetime, chef: Person) -> Person:
    with app.transaction() as s:
        person = people.ensure_person(
            s,
            "namnd@pitea.example",
            now=now,
            name="Nämndens sekreterare",
            role=Role.board,
            forvaltning=chef.forvaltning,
        )
    return person
