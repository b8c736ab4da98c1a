"""Handing over all a person owns when they leave: on their page ("Lämna över till …") and with
`tracker person hand-over`, through the one service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from tests.support import builders as b
from tests.web.conftest import World
from tests.web.helpers import form_to, log_in, text_of
from tracker.app import App
from tracker.cli import cli
from tracker.models import (
    Action,
    ActionEvent,
    Area,
    ControlPoint,
    ControlRisk,
    OutboxMessage,
    Person,
    Plan,
    Role,
)
from tracker.services import assigning, internal_control, plans
from tracker.services.actions import ASSIGNED
from tracker.services.link_mail import KIND_ASSIGNED
from tracker.services.outbox import PENDING, about

OTHER = "Kultur- och fritidsförvaltningen"
# The command line's settings: its links need a key and the web's address.
ENV = {"TRACKER_SECRET_KEY": "cli-test-" + "k" * 40, "TRACKER_PUBLIC_BASE_URL": "http://testserver"}
HEADER = "Process;Risk;Sannolikhet;Konsekvens;Kontrollmoment;Metod;Frekvens;Ansvarig;E-post\n"


@dataclass
class Leaving:
    world: World
    # Anna's open items in the chef's förvaltning: two åtgärder (the world's), a kontroll and
    # a beslut; and one done, which stays hers.
    kontroll: int
    beslut: int
    done: int
    # Anna's åtgärd in another förvaltning's plan, and her kontrollmoment in each.
    elsewhere: int
    point: int
    other_point: int


def _control_plan(app: App, now: datetime, namnd: str, forvaltning: str, text: str) -> int:
    row = (
        f"Inköp;Inköp utanför avtal;3;3;{text};Stickprov 20 fakturor;mars och oktober;"
        "Anna Berg;anna.berg@pitea.example\n"
    )
    with app.transaction() as s:
        done = internal_control.import_control_plan(
            s,
            app.registry,
            (HEADER + row).encode(),
            "ik.csv",
            namnd=namnd,
            year=2018,
            forvaltning=forvaltning,
            now=now,
        )
        point = s.exec(select(ControlPoint).where(ControlPoint.text == text)).one()
        assert done.controls == 1 and point.id is not None
        return point.id


@pytest.fixture
def leaving(app: App, now: datetime, world: World) -> Leaving:
    with app.transaction() as s:
        own_area = s.get(Area, world.area_id)
        assert own_area is not None
    anna = world.anna
    kontroll = b.action(
        app, own_area, "Kontroll av attester", now=now, owner=anna, workflow="kontroll",
        state="planerad",
    )  # fmt: skip
    beslut = b.action(
        app, own_area, "Stämma av frågan med revisorerna", now=now, owner=anna,
        workflow="protokoll", state="tilldelad",
    )  # fmt: skip
    done = b.action(app, own_area, "Rutin klar", now=now, owner=anna, state="klar")
    _, other_area = b.plan(app, now=now, title="Kulturplan", forvaltning=OTHER)
    elsewhere = b.action(app, other_area, "Bibliotekets öppettider", now=now, owner=anna)
    point = _control_plan(app, now, "Socialnämnden", world.chef.forvaltning, "Attestkontroll")
    other_point = _control_plan(app, now, "Kulturnämnden", OTHER, "Avtalskontroll")
    assert kontroll.id and beslut.id and done.id and elsewhere.id
    return Leaving(world, kontroll.id, beslut.id, done.id, elsewhere.id, point, other_point)


def _owner(app: App, action_id: int) -> int | None:
    with app.transaction() as s:
        found = s.get(Action, action_id)
        assert found is not None
        return found.owner_id


def _point_owner(app: App, point_id: int) -> int | None:
    with app.transaction() as s:
        found = s.get(ControlPoint, point_id)
        assert found is not None
        return found.owner_id


def _assignment_mail(s: Session) -> list[OutboxMessage]:
    return list(
        s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == KIND_ASSIGNED)
            .order_by(col(OutboxMessage.id))
        ).all()
    )


def _hand_over(client: TestClient, person: Person, to: str) -> tuple[int, str]:
    page = client.get(f"/personer/{person.id}")
    assert page.status_code == 200, page.text
    form = form_to(page.text, "/lamna-over")
    done = client.post(form.action, data=form.data(till=to))
    return done.status_code, done.text


def test_a_chef_hands_over_the_leavers_open_items_in_their_plans_and_is_told_what_stayed(
    client: TestClient, app: App, now: datetime, leaving: Leaving
) -> None:
    w = leaving.world
    log_in(client, app, w.chef, now)
    status, html = _hand_over(client, w.anna, "Bo.Lind@pitea.example")
    assert status == 200, html
    said = text_of(html)
    assert (
        "2 åtgärder, 1 kontroll, 1 beslut och 1 kontrollmoment har lämnats över från Anna Berg "
        "till Bo Lind (bo.lind@pitea.example)."
    ) in said
    assert "Ett e-postmeddelande till Bo Lind med allt som lämnats över ligger i utkorgen." in said
    assert (
        "1 åtgärd och 1 kontrollmoment i andra förvaltningars planer, som du inte kan ändra, "
        "har Anna Berg kvar"
    ) in said
    # Her page afterwards: nothing open in the chef's plans.
    assert "Öppna åtgärder 0" in said
    moved = [w.a1, w.a2, leaving.kontroll, leaving.beslut]
    assert {_owner(app, a) for a in moved} == {w.bo.id}
    assert _point_owner(app, leaving.point) == w.bo.id
    # Another förvaltning's, and what was done, stay hers.
    assert _owner(app, leaving.elsewhere) == w.anna.id
    assert _owner(app, leaving.done) == w.anna.id
    assert _point_owner(app, leaving.other_point) == w.anna.id
    with app.transaction() as s:
        for action_id in moved:
            event = s.exec(
                select(ActionEvent)
                .where(ActionEvent.action_id == action_id, ActionEvent.trigger == ASSIGNED)
                .order_by(col(ActionEvent.id).desc())
            ).first()
            assert event is not None and event.actor_id == w.chef.id
            assert "Anna Berg <anna.berg@pitea.example> till Bo Lind" in event.text
        [mail] = _assignment_mail(s)
        assert mail.to_addr == "bo.lind@pitea.example"
        assert sorted(about(s, mail.id or 0)) == sorted(moved)
        body = " ".join(mail.body_text.split())
        assert (
            "Malin Westling har gjort dig ansvarig för 2 åtgärder, 1 kontroll, 1 beslut och 1 "
            "kontrollmoment:"
        ) in body
        assert mail.subject == (
            "Du är ansvarig för 2 åtgärder, 1 kontroll, 1 beslut och 1 kontrollmoment"
        )
        for text in (
            "Kontroll av attester",
            "Stämma av frågan med revisorerna",
            "Attestkontroll (mars och oktober), Internkontrollplan 2018 – Socialnämnden",
        ):
            assert text in body
            assert text in text_of(mail.body_html)
        assert "Avtalskontroll" not in body


def test_an_admin_hands_over_everything_open_and_the_page_shows_nothing_open(
    client: TestClient, app: App, now: datetime, leaving: Leaving
) -> None:
    w = leaving.world
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=now, role=Role.admin)
    log_in(client, app, admin, now)
    status, html = _hand_over(client, w.anna, "bo.lind@pitea.example")
    assert status == 200, html
    said = text_of(html)
    assert (
        "3 åtgärder, 1 kontroll, 1 beslut och 2 kontrollmoment har lämnats över från Anna Berg"
    ) in said
    assert "kvar" not in said
    assert "Öppna åtgärder 0" in said
    assert _owner(app, leaving.elsewhere) == w.bo.id
    assert _point_owner(app, leaving.other_point) == w.bo.id
    with app.transaction() as s:
        [mail] = _assignment_mail(s)
        assert len(about(s, mail.id or 0)) == 5


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Skriv e-postadressen till den som ska ta över."),
        ("okand@pitea.example", "Ingen person har e-postadressen okand@pitea.example."),
        ("anna.berg@pitea.example", "Anna Berg kan inte lämna över till sig själv."),
    ],
)
def test_a_hand_over_to_nobody_an_unknown_address_or_oneself_is_refused_with_the_text_kept(
    client: TestClient, app: App, now: datetime, leaving: Leaving, typed: str, reason: str
) -> None:
    w = leaving.world
    log_in(client, app, w.chef, now)
    status, html = _hand_over(client, w.anna, typed)
    assert status == 422, html
    assert reason in text_of(html)
    assert form_to(html, "/lamna-over").fields["till"] == typed
    assert 'aria-invalid="true"' in html
    assert _owner(app, w.a1) == w.anna.id
    assert _point_owner(app, leaving.point) == w.anna.id
    with app.transaction() as s:
        assert _assignment_mail(s) == []
        assert internal_control.history(s, _control_plan_id(s, leaving.point)) == []


def test_a_hand_over_of_kontrollmoment_alone_tells_the_new_owner_in_one_mail_with_one_waiting(
    client: TestClient, app: App, now: datetime, world: World
) -> None:
    """The new owner had an assignment mail still gathering: the hand-over's mail takes it in,
    so they get one, listing both."""
    point = _control_plan(app, now, "Socialnämnden", world.chef.forvaltning, "Attestkontroll")
    with app.transaction() as s:
        for action_id in (world.a1, world.a2):
            done = s.get(Action, action_id)
            assert done is not None
            done.state = "klar"
            s.add(done)
        area = s.get(Area, world.area_id)
        plan = s.get(Plan, world.plan_id)
        assert area is not None and plan is not None
        earlier = plans.add_action(s, app.registry, area, now=now, text="Ny rutin för avslag")
        assigning.assign_with_link(
            s, app.registry, app.settings, earlier, plan, world.bo, now=now,
            assigned_by=world.chef,
        )  # fmt: skip
    log_in(client, app, world.chef, now)
    status, html = _hand_over(client, world.anna, world.bo.email)
    assert status == 200, html
    assert "1 kontrollmoment har lämnats över från Anna Berg till Bo Lind" in text_of(html)
    assert _point_owner(app, point) == world.bo.id
    with app.transaction() as s:
        waiting = [m for m in _assignment_mail(s) if m.status == PENDING]
        [mail] = waiting
        body = " ".join(mail.body_text.split())
        assert "ansvarig för 1 åtgärd och 1 kontrollmoment" in body
        assert "Ny rutin för avslag" in body and "Attestkontroll (mars och oktober)" in body


def _control_plan_id(s: Session, point_id: int) -> int:
    point = s.get(ControlPoint, point_id)
    assert point is not None
    risk = s.get(ControlRisk, point.risk_id)
    assert risk is not None
    return risk.plan_id


def test_tracker_person_hand_over_gives_everything_open_and_queues_one_mail(
    app: App, db_url: str, leaving: Leaving
) -> None:
    w = leaving.world
    result = CliRunner().invoke(
        cli,
        ["--database", db_url, "person", "hand-over", "anna.berg@pitea.example", w.bo.email],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert (
        "3 åtgärder, 1 kontroll, 1 beslut och 2 kontrollmoment har lämnats över från Anna Berg "
        "till Bo Lind (bo.lind@pitea.example)."
    ) in result.output
    assert _owner(app, leaving.elsewhere) == w.bo.id
    assert _owner(app, leaving.done) == w.anna.id
    assert _point_owner(app, leaving.other_point) == w.bo.id
    with app.transaction() as s:
        [mail] = _assignment_mail(s)
        assert mail.to_addr == w.bo.email


@pytest.mark.parametrize(
    ("to", "reason"),
    [
        ("anna.berg@pitea.example", "Anna Berg kan inte lämna över till sig själv."),
        ("okand@pitea.example", "Ingen person har e-postadressen okand@pitea.example."),
    ],
)
def test_tracker_person_hand_over_refuses_in_swedish_and_changes_nothing(
    app: App, db_url: str, leaving: Leaving, to: str, reason: str
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--database", db_url, "person", "hand-over", "anna.berg@pitea.example", to],
        env=ENV,
    )
    assert result.exit_code == 1
    assert reason in result.output
    assert _owner(app, leaving.world.a1) == leaving.world.anna.id


def test_tracker_person_hand_over_has_swedish_help() -> None:
    result = CliRunner().invoke(cli, ["person", "hand-over", "--help"])
    assert result.exit_code == 0, result.output
    assert "FRÅN" in result.output and "TILL" in result.output
    assert "Lämna över allt en person är ansvarig för" in result.output
