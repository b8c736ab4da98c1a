"""The start page: per plan, the late åtgärder, those without an owner, those whose owner has
not answered, the evaluations coming up and the next återrapport; each number a link to a
list that shows exactly the åtgärder counted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.support import builders as b
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.domain.schedule import ScheduleStatus
from tracker.models import Action, Person, Role
from tracker.services import actions, plans
from tracker.services.overview import Selection
from tracker.web.main import create_app

# The day the page is looked at: 64 days after the åtgärder were made (2018-01-10).
TODAY = date(2018, 3, 15)


@dataclass
class Followed:
    plan_id: int
    ids: dict[str, int]  # the åtgärder by a short name


@pytest.fixture
def followed(app: App, chef: Person, clock: MovableClock) -> Followed:
    """A plan with one åtgärd for each case, looked at on TODAY."""
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=clock())
    bo = b.person(app, "bo.lind@pitea.example", "Bo Lind", now=clock())
    eva = b.person(app, "eva.ek@pitea.example", "Eva Ek", now=clock())
    plan, area = b.plan(app, now=clock(), chef=chef, next_report_on=date(2018, 6, 15))
    assert plan.id is not None

    def add(name: str, owner: Person | None, state: str = "pagar", **dates: date) -> int:
        action = b.action(app, area, name, now=clock(), owner=owner, state=state, **dates)
        assert action.id is not None
        return action.id

    ids = {
        "late": add("Försenad", anna, due_on=date(2018, 3, 1)),
        "evaluation_late": add("Utvärdering försenad", bo, "klar", evaluate_on=date(2018, 3, 1)),
        "no_owner": add("Utan ansvarig", None, due_on=date(2018, 6, 30)),
        "silent": add("Tyst", bo, due_on=date(2018, 9, 30)),
        "evaluation_soon": add("Utvärderas snart", anna, "klar", evaluate_on=date(2018, 4, 1)),
        "evaluation_later": add("Utvärderas senare", anna, "klar", evaluate_on=date(2018, 5, 30)),
        "reassigned": add("Nyss tilldelad", anna),
        "chef_wrote": add("Chefen skrev", bo),
        "done_no_owner": add("Klar utan ansvarig", None, "klar"),
        "answered_by_move": add("Startad", eva, "ej_paborjat"),
    }
    clock.advance(days=(TODAY - date(2018, 1, 10)).days)
    with app.transaction() as s:
        recently = clock() - timedelta(days=5)
        actions.note_progress(s, ids["late"], anna, "Snart klart.", now=recently)
        actions.assign(s, ids["reassigned"], eva, now=recently, actor=chef)
        actions.note_progress(s, ids["chef_wrote"], chef, "Ringt Bo.", now=recently)
        actions.move(s, app.registry, ids["answered_by_move"], "starta", eva, now=recently)
    return Followed(plan.id, ids)


EXPECTED = {
    Selection.late: {"late", "evaluation_late"},
    Selection.without_owner: {"no_owner"},
    # Neither an answer of the owner's nor a new owner in 30 days; the chef's note is no answer.
    Selection.unanswered: {"silent", "chef_wrote"},
    Selection.evaluation: {"evaluation_soon"},
}

_NUMBER = re.compile(r'href="(/atgarder\?plan=(\d+)&amp;urval=([\w-]+))"[^>]*>(\d+)<')


def numbers(html: str) -> dict[tuple[int, str], tuple[int, str]]:
    """(plan, urval) -> (the number shown, the link it is)."""
    return {
        (int(plan), urval): (int(n), unescape(href))
        for href, plan, urval, n in _NUMBER.findall(html)
    }


def listed(html: str) -> list[int]:
    """The åtgärder a list page shows, in order."""
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    return [
        int(i)
        for i in re.findall(r'<tr class="listed[^"]*">\s*<th[^>]*><a href="/atgarder/(\d+)"', body)
    ]


def test_each_number_is_the_count_of_exactly_the_atgarder_its_link_lists(
    client: TestClient, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    log_in(client, app, chef, clock())
    page = client.get("/start")
    assert page.status_code == 200
    shown = numbers(page.text)
    names = {v: k for k, v in followed.ids.items()}
    for selection, expected in EXPECTED.items():
        n, link = shown[(followed.plan_id, selection.value)]
        rows = listed(client.get(link).text)
        assert n == len(rows), selection
        assert {names[i] for i in rows} == expected, selection
    words = text_of(page.text)
    assert "Har inte svarat på 30 dagar" in words and "Utvärderas inom 30 dagar" in words
    assert "2018-06-15" in words  # the next återrapport


def test_late_on_the_start_page_is_schedule_status_s_late(
    client: TestClient, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    log_in(client, app, chef, clock())
    link = numbers(client.get("/start").text)[(followed.plan_id, "forsenade")][1]
    late = set(listed(client.get(link).text))
    with app.transaction() as s:
        every = s.exec(select(Action).where(Action.plan_id == followed.plan_id)).all()
        by_rule = {
            a.id
            for a in every
            if plans.status_of(app.registry, a, TODAY) is not ScheduleStatus.on_track
        }
    assert late == by_rule


def test_every_forsenade_in_the_web_counts_what_the_start_page_counts(
    client: TestClient, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    """The list of plans, the plan's page, its "Bara försenade" filter and the people's page
    all count late by the start page's rule: an evaluation past its date is late too."""
    log_in(client, app, chef, clock())
    late = numbers(client.get("/start").text)[(followed.plan_id, "forsenade")][0]
    assert late == 2
    plans_page = client.get("/planer").text
    [cell] = re.findall(r'data-label="Försenade" class="num">(?:<strong[^>]*>)?(\d+)', plans_page)
    assert int(cell) == late
    plan_page = client.get(f"/planer/{followed.plan_id}")
    assert f"{late} försenade" in text_of(plan_page.text)
    filtered = client.get(f"/planer/{followed.plan_id}", params={"forsenad": "1"})
    names = {v: k for k, v in followed.ids.items()}
    shown = {int(i) for i in re.findall(r'href="/atgarder/(\d+)"', filtered.text)}
    assert {names[i] for i in shown if i in names} == {"late", "evaluation_late"}
    people = client.get("/personer").text
    per_person = [
        int(n)
        for n in re.findall(r'data-label="Försenade" class="num">(?:<strong[^>]*>)?(\d+)', people)
    ]
    assert sum(per_person) == late


def test_an_answer_or_a_new_owner_takes_an_atgard_off_the_silent_list(
    client: TestClient, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    log_in(client, app, chef, clock())
    key = (followed.plan_id, Selection.unanswered.value)
    assert numbers(client.get("/start").text)[key][0] == 2
    with app.transaction() as s:
        bo = s.get_one(Person, s.get_one(Action, followed.ids["silent"]).owner_id)
        actions.note_progress(s, followed.ids["silent"], bo, "Pågår.", now=clock())
        eva = s.get_one(Person, s.get_one(Action, followed.ids["answered_by_move"]).owner_id)
        actions.assign(s, followed.ids["chef_wrote"], eva, now=clock(), actor=chef)
    assert numbers(client.get("/start").text)[key][0] == 0
    # Thirty days on, both are silent again, and so is what was answered five days ago.
    clock.advance(days=30)
    log_in(client, app, chef, clock())
    n, link = numbers(client.get("/start").text)[key]
    names = {v: k for k, v in followed.ids.items()}
    assert {names[i] for i in listed(client.get(link).text)} == {
        "silent",
        "chef_wrote",
        "reassigned",
        "answered_by_move",
        "late",
    }
    assert n == 5


def test_the_number_of_days_is_a_setting(
    app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    settings = app.settings.model_copy(
        update={"unanswered_days": 3, "upcoming_evaluation_days": 90}
    )
    web = create_app(App(settings=settings, engine=app.engine, registry=app.registry), clock=clock)
    with TestClient(web) as client:
        log_in(client, app, chef, clock())
        page = client.get("/start").text
        shown = numbers(page)
    assert "Har inte svarat på 3 dagar" in text_of(page)
    # Five days ago is more than three: every open åtgärd with an owner is silent.
    assert shown[(followed.plan_id, "har-inte-svarat")][0] == 5
    assert shown[(followed.plan_id, "utvardering")][0] == 2


def test_root_and_log_in_lead_a_chef_or_reader_to_the_start_page(
    web: FastAPI, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    reader = b.person(
        app,
        "namnd@pitea.example",
        "Nämnden",
        now=clock(),
        role=Role.board,
        forvaltning=chef.forvaltning,
    )
    with TestClient(web) as client:
        log_in(client, app, reader, clock())
        home = client.get("/", follow_redirects=False)
        assert (home.status_code, home.headers["location"]) == (303, "/start")
        page = client.get("/start")
        n, link = numbers(page.text)[(followed.plan_id, "forsenade")]
        assert n == 2 and len(listed(client.get(link).text)) == 2
        # A reader is not sent to the people pages from the list.
        assert "/personer/" not in client.get(link).text


def test_a_chef_of_another_forvaltning_sees_nothing_of_the_plan(
    client: TestClient, app: App, clock: MovableClock, followed: Followed
) -> None:
    other = b.person(
        app,
        "kim.ek@pitea.example",
        "Kim Ek",
        now=clock(),
        role=Role.chef,
        forvaltning="Kultur- och fritidsförvaltningen",
    )
    log_in(client, app, other, clock())
    page = client.get("/start")
    assert numbers(page.text) == {}
    assert "Åtgärdsplan för ekonomi i balans" not in text_of(page.text)
    for selection in Selection:
        r = client.get("/atgarder", params={"plan": followed.plan_id, "urval": selection.value})
        assert r.status_code == 403
        assert "Nyss tilldelad" not in r.text and "Utvärderas snart" not in r.text


def test_a_new_forvaltnings_chef_is_told_on_the_empty_pages_how_to_begin(
    client: TestClient, app: App, clock: MovableClock, followed: Followed
) -> None:
    culture = "Kultur- och fritidsförvaltningen"
    other = b.person(
        app, "kim.ek@pitea.example", "Kim Ek", now=clock(), role=Role.chef, forvaltning=culture
    )
    log_in(client, app, other, clock())
    start = client.get("/start").text
    # Another förvaltning has plans: "no plans" is about the chef's own.
    assert f"Det finns inga planer i {culture} att följa upp ännu." in text_of(start)
    for way in ('href="/planer/ny"', 'href="/planer/import"', 'href="/personer"'):
        assert way in start
    listed = text_of(client.get("/planer").text)
    assert f"Det finns inga planer i {culture} ännu. Skapa en ny åtgärdsplan" in listed


def test_an_unknown_selection_or_plan_is_not_found(
    client: TestClient, app: App, chef: Person, clock: MovableClock, followed: Followed
) -> None:
    log_in(client, app, chef, clock())
    r = client.get("/atgarder", params={"plan": followed.plan_id, "urval": "alla"})
    assert r.status_code == 404
    assert "Det finns inget sådant urval av åtgärder." in text_of(r.text)
    assert client.get("/atgarder", params={"plan": 999, "urval": "forsenade"}).status_code == 404


def test_a_plan_whose_escalations_reach_no_chef_is_pointed_out_until_one_is_added(
    client: TestClient, app: App, clock: MovableClock, chef: Person
) -> None:
    """A plan made by an admin in a förvaltning without a chef: its escalations and the
    reminders of åtgärder without owner wait (the sweep records none), so whoever leads it
    must be told, on the page they open."""
    culture = "Kultur- och fritidsförvaltningen"
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=clock(), role=Role.admin)
    orphan, _ = b.plan(app, now=clock(), title="Biblioteksplan", forvaltning=culture)
    b.plan(app, now=clock(), title="Skolplan", chef=chef)
    log_in(client, app, admin, clock())
    page = text_of(client.get("/start").text)
    assert "Ingen chef får eskaleringarna för planen:" in page
    assert f"Biblioteksplan – {culture}" in page
    assert "Skolplan –" not in page
    assert f'href="/planer/{orphan.id}"' in client.get("/start").text
    # The chef of another förvaltning does not lead it, and is not told.
    log_in(client, app, chef, clock())
    assert "Ingen chef får eskaleringarna" not in text_of(client.get("/start").text)
    b.person(
        app, "kim.ek@pitea.example", "Kim Ek", now=clock(), role=Role.chef, forvaltning=culture
    )
    clock.advance(minutes=1)  # a newer log-in link than the one already used
    log_in(client, app, admin, clock())
    assert "Ingen chef får eskaleringarna" not in text_of(client.get("/start").text)
