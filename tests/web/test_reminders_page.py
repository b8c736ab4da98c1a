"""The reminders page: what the next working day's sweep will send (a dry run, nothing
written), and what went out to whom and when, per person and per åtgärd; each within the
viewer's förvaltning."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from tests.support import builders as b
from tests.web.conftest import World
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.models import ControlOccurrence, OutboxMessage, Person, Role, SentReminder
from tracker.services import actions, internal_control, plans
from tracker.services.reminders import send_reminders

CULTURE = "Kultur- och fritidsförvaltningen"


@pytest.fixture
def eva(app: App, clock: MovableClock, world: World) -> Person:
    """An owner in another förvaltning whose åtgärd is due the same day as Bo's."""
    eva = b.person(app, "eva.ek@pitea.example", "Eva Ek", now=clock(), forvaltning=CULTURE)
    _, area = b.plan(app, now=clock(), title="Kulturplan", forvaltning=CULTURE)
    b.action(app, area, "Bibliotekets öppettider", now=clock(), owner=eva, due_on=date(2018, 2, 28))
    return eva


def person(app: App, clock: MovableClock, email: str, role: Role, forvaltning: str) -> Person:
    return b.person(
        app, email, email.split("@")[0], now=clock(), role=role, forvaltning=forvaltning
    )


def section(html: str, heading_id: str) -> str:
    """The words of one section of the page."""
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, heading_id
    return text_of(found.group(1))


def counts(app: App) -> tuple[int, int]:
    with app.transaction() as s:
        mail = s.exec(select(func.count()).select_from(OutboxMessage)).one()
        sent = s.exec(select(func.count()).select_from(SentReminder)).one()
    return mail, sent


def test_the_next_working_days_reminders_are_shown_and_nothing_is_written(
    client: TestClient, app: App, world: World, clock: MovableClock, eva: Person
) -> None:
    # Tuesday 13 February, 10:00: the next sweep is Wednesday's at 07:00, when Bo's b1 (due
    # 28 February) is two weeks away.
    clock.advance(days=34)
    log_in(client, app, world.chef, clock())
    page = client.get("/paminnelser")
    assert page.status_code == 200
    upcoming = section(page.text, "nasta")
    assert "Nästa utskick, 2018-02-14 07:00" in upcoming
    assert "Bo Lind bo.lind@pitea.example Påminnelse" in upcoming
    assert "Klart-datum närmar sig Utbilda handläggarna" in upcoming
    assert "Påminnelse: 1 åtgärd att uppdatera" in upcoming
    # Eva's reminder is about another förvaltning's plan.
    assert "Eva Ek" not in upcoming and "Bibliotekets öppettider" not in upcoming
    assert counts(app) == (0, 0)


def test_on_a_friday_the_next_sweep_shown_is_mondays(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    clock.advance(days=2)  # Friday 12 January
    log_in(client, app, world.chef, clock())
    upcoming = section(client.get("/paminnelser").text, "nasta")
    assert "Nästa utskick, 2018-01-15 07:00" in upcoming
    assert "Inga påminnelser om åtgärder i dina planer går ut då." in upcoming


def test_what_went_out_is_listed_per_person_and_per_atgard(
    client: TestClient, app: App, world: World, clock: MovableClock, eva: Person
) -> None:
    send_reminders(app, now=b.at(date(2018, 2, 14)))
    clock.advance(days=35)  # Wednesday 14 February, 10:00
    log_in(client, app, world.chef, clock())
    page = client.get("/paminnelser").text
    per_person = section(page, "per-person")
    assert (
        "2018-02-14 07:00 Bo Lind bo.lind@pitea.example Påminnelse "
        "Påminnelse: 1 åtgärd att uppdatera Väntar"
    ) in per_person
    assert "eva.ek@pitea.example" not in per_person
    per_action = section(page, "per-atgard")
    assert "2018-02-14 Utbilda handläggarna" in per_action
    assert "Klart om två veckor Bo Lind" in per_action
    assert "Bibliotekets öppettider" not in per_action
    # What has gone out is not shown as still to come.
    assert "Utbilda handläggarna" not in section(page, "nasta")


def test_reminders_about_a_decision_head_their_columns_by_its_noun(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A nämnd's decision reminded beside an åtgärd: the next sweep's column is "Åtgärder och
    beslut", what went out is listed under "Åtgärd / beslut"."""
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Sammanträdet 14 juni")
    b.action(
        app,
        area,
        "Besked om lokalerna",
        now=clock(),
        owner=world.bo,
        state="tilldelad",
        workflow="protokoll",
        due_on=date(2018, 2, 21),
    )
    clock.advance(days=34)  # Tuesday 13 February: Wednesday's sweep reminds of both
    log_in(client, app, world.chef, clock())
    html = client.get("/paminnelser").text
    upcoming = section(html, "nasta")
    assert "Till Slag Ämne Åtgärder och beslut" in upcoming
    assert "Besked om lokalerna" in upcoming and "Utbilda handläggarna" in upcoming
    send_reminders(app, now=b.at(date(2018, 2, 14)))
    clock.advance(days=1)
    log_in(client, app, world.chef, clock())
    per_action = section(client.get("/paminnelser").text, "per-atgard")
    assert "Dag Åtgärd / beslut Påminnelse Till" in per_action
    assert "2018-02-14 Besked om lokalerna" in per_action


def test_a_reminder_to_an_owner_since_replaced_or_to_the_chef_says_so(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    send_reminders(app, now=b.at(date(2018, 2, 14)))
    with app.transaction() as s:
        actions.assign(s, world.b1, world.anna, now=b.at(date(2018, 2, 20)), actor=world.chef)
    clock.advance(days=42)  # Wednesday 21 February
    log_in(client, app, world.chef, clock())
    per_action = section(client.get("/paminnelser").text, "per-atgard")
    # Bo had it then; Anna, who has it now, got no reminder about it.
    assert "Klart om två veckor Dåvarande ansvarig" in per_action
    assert "Anna Berg" not in per_action
    # Tuesday 3 April (after Easter): b1 is more than 30 days late, escalated to the chef.
    send_reminders(app, now=b.at(date(2018, 4, 3)))
    clock.advance(days=41)
    log_in(client, app, world.chef, clock())
    per_action = section(client.get("/paminnelser").text, "per-atgard")
    plan = "Åtgärdsplan efter granskning av ekonomiskt bistånd"
    assert f"2018-04-03 Utbilda handläggarna {plan} Försenad mer än 30 dagar Chefen" in per_action
    assert f"2018-04-03 Utbilda handläggarna {plan} Försenad Anna Berg" in per_action


def test_a_chef_of_another_forvaltning_sees_none_of_it(
    client: TestClient, app: App, world: World, clock: MovableClock, eva: Person
) -> None:
    send_reminders(app, now=b.at(date(2018, 2, 14)))
    clock.advance(days=34)
    other = person(app, clock, "kim.ek@pitea.example", Role.chef, CULTURE)
    log_in(client, app, other, clock())
    words = text_of(client.get("/paminnelser").text)
    for hidden in ("Bo Lind", "bo.lind@pitea.example", "Utbilda handläggarna"):
        assert hidden not in words
    assert "Eva Ek" in words and "Bibliotekets öppettider" in words


def test_an_admin_sees_every_forvaltnings_reminders(
    client: TestClient, app: App, world: World, clock: MovableClock, eva: Person
) -> None:
    send_reminders(app, now=b.at(date(2018, 2, 14)))
    clock.advance(days=35)
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    page = client.get("/paminnelser").text
    for part in ("per-person", "per-atgard"):
        words = section(page, part)
        assert "Bo Lind" in words and "Eva Ek" in words


def test_a_reader_has_no_reminders_page(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    reader = person(app, clock, "namnd@pitea.example", Role.board, world.chef.forvaltning)
    log_in(client, app, reader, clock())
    assert client.get("/paminnelser").status_code == 403
    assert 'href="/paminnelser"' not in client.get("/planer").text


CONTROL_ROWS = [
    "Process;Risk;Sannolikhet;Konsekvens;Kontrollmoment;Metod;Frekvens;Ansvarig;E-post",
    "Närvaro;Frånvaro rapporteras inte samma dag;3;2;Kontroll av frånvaroregistrering;"
    "Stickprov 5 lektioner per skola;månadsvis;Erik Nilsson;erik.nilsson@pitea.example",
    "Skolskjuts;Skolskjuts beviljas utan rätt;2;2;Kontroll av skolskjutsbeslut;"
    "Stickprov 10 beslut;årligen;Anna Lindqvist;anna.lindqvist@pitea.example",
]


def import_controls(app: App, clock: MovableClock, namnd: str, forvaltning: str) -> int:
    """An internkontrollplan for 2018 with a monthly and a yearly kontrollmoment."""
    with app.transaction() as s:
        return internal_control.import_control_plan(
            s,
            app.registry,
            "\n".join(CONTROL_ROWS).encode(),
            "ik.csv",
            namnd=namnd,
            year=2018,
            forvaltning=forvaltning,
            now=clock(),
        ).plan_id


def test_the_controls_the_next_sweep_opens_are_shown_within_the_chefs_forvaltning(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    # Imported on Wednesday 10 January: January's control (due the 31st) opens two weeks
    # before, on Wednesday the 17th, and tomorrow's sweep opens none.
    own = import_controls(app, clock, "Barn- och utbildningsnämnden", world.chef.forvaltning)
    import_controls(app, clock, "Kultur- och fritidsnämnden", CULTURE)
    log_in(client, app, world.chef, clock())
    shown = section(client.get("/paminnelser").text, "oppnas")
    assert "Kontroller som öppnas 2018-01-11 07:00" in shown
    assert "Inga kontroller i dina internkontrollplaner öppnas då." in shown
    clock.advance(days=6)  # Tuesday 16 January: the next sweep is Wednesday's
    log_in(client, app, world.chef, clock())
    page = client.get("/paminnelser").text
    shown = section(page, "oppnas")
    assert "Kontroller som öppnas 2018-01-17 07:00" in shown
    assert (
        "Kontroll av frånvaroregistrering Internkontrollplan 2018 – Barn- och "
        "utbildningsnämnden , Närvaro 2018-01-31 Erik Nilsson erik.nilsson@pitea.example"
    ) in shown
    assert f'href="/internkontroll/{own}"' in page
    assert "Kontroll av skolskjutsbeslut" not in shown  # due in December
    # The other förvaltning's plan has the same control on the same day: not this chef's.
    assert "Kultur" not in shown and shown.count("Kontroll av frånvaroregistrering") == 1
    # What the dry run shows is what the sweep then opens, and the page opened nothing.
    with app.transaction() as s:
        assert s.exec(select(func.count()).select_from(ControlOccurrence)).one() == 0
    clock.advance(days=1)
    opened = send_reminders(app, now=clock().replace(hour=6))
    assert [
        (c.point.text, c.control_plan.id) for c in opened.controls if c.control_plan.id == own
    ] == [("Kontroll av frånvaroregistrering", own)]
