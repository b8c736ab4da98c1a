"""Numbers from outside (an id in a URL, a number in a form, a budget in an uploaded plan)
beyond what a database column holds: a Swedish page that says so, never a server error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, owner_path, text_of
from tests.web.test_access import app_routes
from tracker.app import App
from tracker.models import Plan, Role
from tracker.services import people
from tracker.web.main import create_app

BEYOND_64_BITS = "99999999999999999999"
# A path parameter that is an id: named *_id, or the owner page's åtgärd segment.
ID_PARAM = re.compile(r"\{(\w+_id|segment)\}")
# The other parameters, with values that would be answered if the id were right.
OTHER_PARAMS = {"{kind}": "csv", "{fmt}": "html"}


@pytest.fixture
def full_web(app: App, clock: MovableClock) -> FastAPI:
    """Every route the app can have (the development mail pages too)."""
    settings = app.settings.model_copy(update={"dev_mail_receiver": True})
    return create_app(
        App(settings=settings, engine=app.engine, registry=app.registry),
        clock=clock,
        dev_mail_receiver=False,
    )


@pytest.fixture
def admin_client(full_web: FastAPI, app: App, clock: MovableClock) -> Iterator[TestClient]:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Admin", role=Role.admin
        )
    with TestClient(full_web) as client:
        log_in(client, app, admin, clock())
        yield client


def routes_with_ids(web: FastAPI) -> list[tuple[str, str]]:
    return sorted((method, path) for method, path in app_routes(web) if ID_PARAM.search(path))


@pytest.mark.parametrize("number", [BEYOND_64_BITS, "9223372036854775808", "2147483648", "0"])
def test_an_id_out_of_range_in_any_url_is_the_page_not_found(
    admin_client: TestClient,
    full_web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    number: str,
) -> None:
    """As an admin, who may open every page: nothing but the number keeps the page away."""
    routes = routes_with_ids(full_web)
    assert len(routes) >= 20  # plans, åtgärder, people, reports, outbox, export, the owner's
    link = owner_path(app, world.anna, clock())
    csrf = form_to(admin_client.get("/logga-in").text, "/logga-in").fields["csrf"]
    owner_csrf = form_to(admin_client.get(link).text, "/atgard/").fields["csrf"]
    answers = {}
    for method, path in routes:
        url = ID_PARAM.sub(number, path).replace("/ansvarig/{token}", link)
        for param, value in OTHER_PARAMS.items():
            url = url.replace(param, value)
        if method == "GET":
            done = admin_client.get(url, follow_redirects=False)
        else:
            form = {"csrf": owner_csrf if "/ansvarig/" in url else csrf, "version": "1"}
            done = admin_client.post(url, data=form, follow_redirects=False)
        answers[(method, path)] = (done.status_code, text_of(done.text))
    wrong = {k: v for k, v in answers.items() if v[0] != 404}
    assert not wrong
    for method, path in routes:
        if "/ansvarig/" not in path:  # the owner's page says so on the owner's page
            assert "Det finns ingen sida på den adressen." in answers[(method, path)][1]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/atgarder/{a1}/uppdatera", {"version": BEYOND_64_BITS}),
        ("/atgarder/{a1}/andra", {"version": BEYOND_64_BITS, "text": "Ny text"}),
        ("/atgarder/{a1}/ansvarig", {"version": BEYOND_64_BITS}),
        ("/planer/{plan}/atgarder", {"area_id": BEYOND_64_BITS, "text": "Ny åtgärd"}),
    ],
)
def test_a_number_beyond_64_bits_in_a_form_is_refused_as_an_incomplete_form(
    admin_client: TestClient, world: World, path: str, fields: dict[str, str]
) -> None:
    url = path.format(a1=world.a1, plan=world.plan_id)
    csrf = form_to(admin_client.get("/logga-in").text, "/logga-in").fields["csrf"]
    done = admin_client.post(url, data={**fields, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 400
    assert "Formuläret saknar en uppgift eller har fel format." in text_of(done.text)


def test_an_uploaded_plan_with_a_budget_beyond_64_bits_is_refused_with_its_row_and_column(
    admin_client: TestClient, app: App, world: World
) -> None:
    csv = (
        "Utvecklingsområde;Åtgärd;E-post;Tidsplan;Budget (kr)\n"
        "Nytt område;Ny åtgärd;eva.ek@pitea.example;Klart till mars 2018;9223372036854775808\n"
        "Nytt område;Annan åtgärd;eva.ek@pitea.example;Klart till mars 2018;-5\n"
    ).encode()
    form = form_to(admin_client.get("/planer/import").text, "/planer/import")
    done = admin_client.post(
        form.action,
        data=form.data(title="Importerad plan"),
        files={"file": ("plan.csv", csv, "text/csv")},
    )
    assert done.status_code == 422
    words = text_of(done.text)
    assert (
        "Rad 2, kolumn Budget (kr): beloppet '9223372036854775808' är för stort "
        "(högst 2 000 000 000 kr)"
    ) in words
    assert "Rad 3, kolumn Budget (kr): beloppet '-5' är negativt (skriv 0 eller mer)" in words
    with app.transaction() as s:
        assert s.exec(select(Plan).where(Plan.title == "Importerad plan")).first() is None
