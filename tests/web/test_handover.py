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
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, text_of
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
from tracker.services import assigning, handover, internal_control, plans
from tracker.services.actions import ASSIGNED
from tracker.services.dispatch import send_outbox
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


# --- the handling of risks, the mail when a handed-over item moves on, another förvaltning ---

HANDLING = "Inköp;Inköp utanför avtal;3;3;;Risken accepteras;;Anna Berg;anna.berg@pitea.example\n"


def _handled_plan(app: App, now: datetime, namnd: str, forvaltning: str, year: int) -> int:
    """A plan whose one risk is handled, not controlled, with Anna answering for it: the
    risk's id."""
    with app.transaction() as s:
        done = internal_control.import_control_plan(
            s,
            app.registry,
            (HEADER + HANDLING).encode(),
            "ik.csv",
            namnd=namnd,
            year=year,
            forvaltning=forvaltning,
            now=now,
        )
        [risk] = internal_control.risks_of(s, done.plan_id)
        assert risk.id is not None and risk.handling_owner_id is not None
        return risk.id


def _handler(app: App, risk_id: int) -> int | None:
    with app.transaction() as s:
        found = s.get(ControlRisk, risk_id)
        assert found is not None
        return found.handling_owner_id


def test_a_hand_over_gives_the_handling_of_risks_in_plans_in_use_and_next_years_copy_keeps_it(
    client: TestClient, app: App, now: datetime, world: World
) -> None:
    forvaltning = world.chef.forvaltning
    earlier = _handled_plan(app, now, "Socialnämnden", forvaltning, 2017)
    current = _handled_plan(app, now, "Socialnämnden", forvaltning, 2018)
    other = _handled_plan(app, now, "Kulturnämnden", OTHER, 2018)
    _keeps_a_done_item(app, world, now)
    log_in(client, app, world.chef, now)
    status, html = _hand_over(client, world.anna, world.bo.email)
    assert status == 200, html
    said = text_of(html)
    assert (
        "2 åtgärder har lämnats över från Anna Berg till Bo Lind (bo.lind@pitea.example). "
        "Även ansvaret för hanteringen av 1 risk har lämnats över."
    ) in said
    assert (
        "Ansvaret för hanteringen av 1 risk i andra förvaltningars planer, som du inte kan "
        "ändra, har Anna Berg kvar"
    ) in said
    assert _handler(app, current) == world.bo.id
    # A year that is over says who answered for it; another förvaltning's is theirs to give.
    assert _handler(app, earlier) == world.anna.id
    assert _handler(app, other) == world.anna.id
    with app.transaction() as s:
        risk = s.get(ControlRisk, current)
        assert risk is not None
        [(event, change)] = internal_control.history(s, risk.plan_id)
        assert event.actor_id == world.chef.id
        risk_text = "Risk 1: Inköp utanför avtal (Risken accepteras)"
        assert change.old == f"{risk_text}, Anna Berg <anna.berg@pitea.example>"
        assert change.new == f"{risk_text}, Bo Lind <bo.lind@pitea.example>"
        copied = internal_control.copy_to_year(s, risk.plan_id, year=2019, now=now)
        [next_year] = internal_control.risks_of(s, copied.plan_id)
        assert next_year.handling_owner_id == world.bo.id


def test_tracker_person_hand_over_gives_the_handling_of_risks_too(
    app: App, db_url: str, now: datetime, world: World
) -> None:
    risk = _handled_plan(app, now, "Kulturnämnden", OTHER, 2018)
    result = CliRunner().invoke(
        cli,
        ["--database", db_url, "person", "hand-over", world.anna.email, world.bo.email],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert "Även ansvaret för hanteringen av 1 risk har lämnats över." in result.output
    assert _handler(app, risk) == world.bo.id


def _handling_form(client: TestClient, plan_id: int, risk_id: int, email: str, name: str = ""):  # type: ignore[no-untyped-def]
    page = client.get(f"/internkontroll/{plan_id}")
    assert page.status_code == 200, page.text
    form = form_to(page.text, f"/internkontroll/{plan_id}/risker/{risk_id}/hantering")
    return client.post(form.action, data=form.data(owner_email=email, owner_name=name))


def test_a_chef_changes_who_answers_for_a_risks_handling_on_the_plans_page(
    client: TestClient, app: App, now: datetime, world: World
) -> None:
    risk_id = _handled_plan(app, now, "Socialnämnden", world.chef.forvaltning, 2018)
    with app.transaction() as s:
        risk = s.get(ControlRisk, risk_id)
        assert risk is not None
        plan_id = risk.plan_id
    log_in(client, app, world.chef, now)
    page = client.get(f"/internkontroll/{plan_id}")
    form = form_to(page.text, f"/internkontroll/{plan_id}/risker/{risk_id}/hantering")
    assert form.fields["owner_email"] == "anna.berg@pitea.example"

    done = _handling_form(client, plan_id, risk_id, "Bo.Lind@pitea.example")
    assert done.status_code == 200, done.text
    said = text_of(done.text)
    assert "Bo Lind är ansvarig för riskens hantering." in said
    assert "Hantering: Risken accepteras (ansvarig: Bo Lind)" in said
    assert _handler(app, risk_id) == world.bo.id

    refused = _handling_form(client, plan_id, risk_id, "inte en adress", "Ny Person")
    assert refused.status_code == 422, refused.text
    assert "e-postadress" in text_of(refused.text)
    kept = form_to(refused.text, f"/internkontroll/{plan_id}/risker/{risk_id}/hantering")
    assert kept.fields["owner_email"] == "inte en adress"
    assert kept.fields["owner_name"] == "Ny Person"
    assert _handler(app, risk_id) == world.bo.id

    emptied = _handling_form(client, plan_id, risk_id, "")
    assert emptied.status_code == 200, emptied.text
    assert "Riskens hantering har ingen ansvarig nu." in text_of(emptied.text)
    assert _handler(app, risk_id) is None

    # A risk of another plan, at this plan's address, is a page that is not there.
    other = _handled_plan(app, now, "Socialnämnden", world.chef.forvaltning, 2019)
    missing = client.post(
        f"/internkontroll/{plan_id}/risker/{other}/hantering",
        data={"csrf": form.fields["csrf"], "owner_email": world.bo.email},
    )
    assert missing.status_code == 404
    assert _handler(app, other) == world.anna.id


def _keeps_a_done_item(app: App, world: World, now: datetime) -> None:
    """Anna keeps an åtgärd done in the chef's plan, so that her page stays the chef's to see
    after a hand-over."""
    with app.transaction() as s:
        area = s.get(Area, world.area_id)
        assert area is not None
    b.action(app, area, "Rutin klar", now=now, owner=world.anna, state="klar")


def _hand_over_as_chef(app: App, world: World, now: datetime) -> None:
    with app.transaction() as s:
        anna = s.get(Person, world.anna.id)
        chef = s.get(Person, world.chef.id)
        assert anna is not None and chef is not None
        handover.hand_over(s, app.registry, app.settings, anna, world.bo.email, now=now, actor=chef)


def _waiting_for(s: Session, email: str) -> list[OutboxMessage]:
    return [m for m in _assignment_mail(s) if m.status == PENDING and m.to_addr == email]


def _give(client: TestClient, action_id: int, email: str, name: str) -> None:
    page = client.get(f"/atgarder/{action_id}")
    form = form_to(page.text, f"/atgarder/{action_id}/ansvarig")
    done = client.post(form.action, data=form.data(email=email, name=name))
    assert done.status_code == 200, done.text


def test_the_hand_overs_mail_waits_as_any_and_keeps_its_kontrollmoment_when_an_item_moves_on(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    """An åtgärd of the hand-over given to someone else before the mail goes: the mail is
    written anew for what is still Bo's, the kontrollmoment too, and goes when its minutes
    have passed."""
    mail = b.with_smtp(app, smtp_server.port)
    start = clock()
    _control_plan(app, start, "Socialnämnden", world.chef.forvaltning, "Attestkontroll")
    log_in(client, app, world.chef, start)
    _hand_over_as_chef(app, world, start)
    assert send_outbox(mail, now=clock()).sent == 0  # waiting, as any assignment's mail
    clock.advance(minutes=1)
    _give(client, world.a1, "cecilia.holm@pitea.example", "Cecilia Holm")
    with app.transaction() as s:
        [waiting] = _waiting_for(s, world.bo.email)
        assert waiting.subject == "Du är ansvarig för 1 åtgärd och 1 kontrollmoment"
        assert about(s, waiting.id or 0) == [world.a2]
    clock.advance(minutes=app.settings.assignment_mail_minutes - 2)
    assert send_outbox(mail, now=clock()).sent == 0
    clock.advance(minutes=1)
    assert send_outbox(mail, now=clock()).sent == 1  # Bo's; Cecilia's a minute later
    [received] = smtp_server.messages()
    assert received["To"] == world.bo.email
    text = received.get_body(("plain",))
    assert text is not None
    body = " ".join(str(text.get_content()).split())
    assert "Stickprov varje kvartal" in body
    assert "Attestkontroll (mars och oktober), Internkontrollplan 2018 – Socialnämnden" in body
    assert "Ta fram rutin för handläggning" not in body


def test_an_assignment_after_a_hand_over_is_gathered_into_its_mail_with_the_kontrollmoment(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    _control_plan(app, clock(), "Socialnämnden", world.chef.forvaltning, "Attestkontroll")
    log_in(client, app, world.chef, clock())
    _hand_over_as_chef(app, world, clock())
    clock.advance(minutes=2)
    with app.transaction() as s:
        area = s.get(Area, world.area_id)
        assert area is not None
        later = plans.add_action(s, app.registry, area, now=clock(), text="Ny rutin för avslag")
        assert later.id is not None
        later_id = later.id
    _give(client, later_id, world.bo.email, "Bo Lind")
    with app.transaction() as s:
        [waiting] = _waiting_for(s, world.bo.email)
        assert waiting.subject == "Du är ansvarig för 3 åtgärder och 1 kontrollmoment"
        assert sorted(about(s, waiting.id or 0)) == sorted([world.a1, world.a2, later_id])
        assert "Attestkontroll (mars och oktober)" in waiting.body_text


def test_a_kontrollmoment_given_on_before_the_hand_overs_mail_goes_is_taken_out_of_it(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    point = _control_plan(app, clock(), "Socialnämnden", world.chef.forvaltning, "Attestkontroll")
    _hand_over_as_chef(app, world, clock())
    clock.advance(minutes=1)
    cecilia = b.person(app, "cecilia.holm@pitea.example", "Cecilia Holm", now=clock())
    with app.transaction() as s:
        plan_id = _control_plan_id(s, point)
        found = s.get(ControlPoint, point)
        assert found is not None
        internal_control.change_control_point(
            s, app.registry, app.settings, plan_id, point, method=found.method,
            frequency_text=found.frequency_text, owner=cecilia, now=clock(), actor=world.chef,
        )  # fmt: skip
    with app.transaction() as s:
        [waiting] = _waiting_for(s, world.bo.email)
        assert waiting.subject == (
            "Du är ansvarig för 2 åtgärder i Åtgärdsplan efter granskning av ekonomiskt bistånd"
        )
        assert "Attestkontroll" not in waiting.body_text
        assert sorted(about(s, waiting.id or 0)) == sorted([world.a1, world.a2])


def test_a_hand_over_to_someone_of_another_forvaltning_is_made_and_the_chef_is_told(
    client: TestClient, app: App, now: datetime, world: World
) -> None:
    b.person(app, "cilla.ek@pitea.example", "Cilla Ek", now=now, forvaltning=OTHER)
    _keeps_a_done_item(app, world, now)
    log_in(client, app, world.chef, now)
    status, html = _hand_over(client, world.anna, "cilla.ek@pitea.example")
    assert status == 200, html
    said = text_of(html)
    assert "2 åtgärder har lämnats över från Anna Berg till Cilla Ek" in said
    assert (
        f"Observera att Cilla Ek hör till {OTHER}, men det som lämnats över finns i planer "
        f"för {world.chef.forvaltning}."
    ) in said
    # Someone of the chef's own förvaltning is nothing to point out.
    b.person(app, "dan.ek@pitea.example", "Dan Ek", now=now, forvaltning=world.chef.forvaltning)
    with app.transaction() as s:
        for action_id in (world.a1, world.a2):
            moved = s.get(Action, action_id)
            assert moved is not None
            moved.owner_id = world.anna.id
            s.add(moved)
    status, html = _hand_over(client, world.anna, "dan.ek@pitea.example")
    assert status == 200, html
    assert "2 åtgärder har lämnats över från Anna Berg till Dan Ek" in text_of(html)
    assert "Observera" not in text_of(html)


def test_a_chef_who_hands_over_the_last_items_of_someone_of_no_forvaltning_sees_what_was_done(
    client: TestClient, app: App, now: datetime, world: World
) -> None:
    """Anna, added by address, is the chef's to see only through her items in the chef's
    plans: once they are all handed over, the chef is shown the list with the confirmation,
    not a refusal of her page."""
    log_in(client, app, world.chef, now)
    page = client.get(f"/personer/{world.anna.id}")
    form = form_to(page.text, "/lamna-over")
    done = client.post(form.action, data=form.data(till=world.bo.email), follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/personer"
    shown = client.get("/personer")
    assert shown.status_code == 200
    assert "2 åtgärder har lämnats över från Anna Berg till Bo Lind" in text_of(shown.text)
    assert _owner(app, world.a1) == world.bo.id


def test_tracker_internkontroll_change_risk_owner_changes_who_answers_for_the_handling(
    app: App, db_url: str, now: datetime, world: World
) -> None:
    risk_id = _handled_plan(app, now, "Socialnämnden", world.chef.forvaltning, 2018)
    with app.transaction() as s:
        risk = s.get(ControlRisk, risk_id)
        assert risk is not None
        plan_id = str(risk.plan_id)
    base = ["--database", db_url, "internkontroll", "change-risk-owner", plan_id, "--risk", "1"]
    done = CliRunner().invoke(cli, [*base, "--ansvarig", world.bo.email], env=ENV)
    assert done.exit_code == 0, done.output
    assert "Ansvarig för hanteringen av risk 1: Bo Lind <bo.lind@pitea.example>." in done.output
    assert _handler(app, risk_id) == world.bo.id
    refused = CliRunner().invoke(cli, [*base], env=ENV)
    assert refused.exit_code == 1
    assert "Ange antingen --ansvarig eller --ingen-ansvarig." in refused.output
    missing = CliRunner().invoke(cli, [*base[:-1], "7", "--ingen-ansvarig"], env=ENV)
    assert missing.exit_code == 1
    assert "Planen har ingen risk 7; den har 1." in missing.output
    emptied = CliRunner().invoke(cli, [*base, "--ingen-ansvarig"], env=ENV)
    assert emptied.exit_code == 0, emptied.output
    assert _handler(app, risk_id) is None
    with app.transaction() as s:
        [(event, _)] = internal_control.history(s, int(plan_id))[:1]
        assert event.actor_id is None
