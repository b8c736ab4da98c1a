"""Generated requests against every route of the app and of its read API: whatever a path
segment, a query or a form field holds, the answer is a page (or the API's JSON) with a 2xx,
3xx or 4xx status, never a server error.

Hypothesis draws a route from the app's own route lists (the tables in test_access.py), then
values for its path parameters, the query parameters and form fields it declares, and the
fields a few routes read from the form themselves (RAW_FIELDS): numbers of any size, digits
int() cannot read ("²"), text with control characters and any script, dates that are no
dates. The person asking is logged in as an admin, who reaches the most code, and the API is
asked with a token that reads everything; a granskning, a protokoll and an
internkontrollplan are there to be reached by the small ids drawn. Derandomised, so a run in
CI is the run a developer repeats; `--hypothesis-seed` and a larger max_examples explore
further.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session
from starlette.routing import Mount

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in
from tests.web.test_access import API_ROUTES, CONTROL_PLAN, ROUTES, api_routes, app_routes
from tracker.app import App
from tracker.models import Role
from tracker.services import api_tokens, audits, internal_control, people, protokoll
from tracker.web.api import PREFIX as API_PREFIX
from tracker.web.main import create_app

_PARAM = re.compile(r"\{(\w+)\}")

# Text a person could type or a client could send: any script, control characters and NUL
# included (surrogates cannot be sent as UTF-8 at all).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    # "²" and "①" are digits to str.isdigit, but not to int().
    st.sampled_from(["", "0", "1", "2", "007", "1e3", "١٢", "²", "①", "-0", " 1", "1.5", "NaN"]),
)
VALUE = st.one_of(TEXT, NUMBER_TEXT, st.dates().map(str))


# Fields some routes read from the form themselves, not as declared parameters: a risk's
# assessment ("s_<nr>", "k_<nr>") and the answers to a transition's questions ("svar_<id>").
RAW_FIELDS = {
    "/internkontroll/{plan_id}/risker": ["s_1", "k_1", "s_2"],
    "/ansvarig/{token}/atgard/{segment}": ["svar_resultat", "svar_urval"],
    "/atgarder/{action_id}/uppdatera": ["svar_resultat", "svar_urval"],
}


def _routes(web: FastAPI) -> Iterator[APIRoute]:
    for route in web.routes:
        included = getattr(route, "original_router", None)
        for r in included.routes if included is not None else [route]:
            if isinstance(r, APIRoute):
                yield r


def _post_fields(web: FastAPI) -> dict[str, list[str]]:
    """The form fields each POST route reads, from the routes themselves."""
    return {
        r.path: [f.alias for f in r.dependant.body_params if f.alias != "file"]
        + RAW_FIELDS.get(r.path, [])
        for r in _routes(web)
        if "POST" in r.methods
    }


def _query_fields(web: FastAPI, prefix: str = "") -> dict[str, list[str]]:
    """The query parameters each GET route declares."""
    return {
        prefix + r.path: [q.alias for q in r.dependant.query_params]
        for r in _routes(web)
        if "GET" in r.methods
    }


def _api(web: FastAPI) -> FastAPI:
    [api] = [m.app for m in web.routes if isinstance(m, Mount) and isinstance(m.app, FastAPI)]
    return api


@dataclass
class Browser:
    client: TestClient
    log_in: Callable[[], None]
    fields: dict[str, list[str]]
    queries: dict[str, list[str]]
    routes: list[tuple[str, str]]
    token: dict[str, str]  # the Authorization header of a token that reads everything


@pytest.fixture
def browser(app: App, world: World, clock: MovableClock) -> Iterator[Browser]:
    full = app.settings.model_copy(update={"dev_mail_receiver": True})
    web = create_app(
        App(settings=full, engine=app.engine, registry=app.registry),
        clock=clock,
        dev_mail_receiver=False,
    )
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Admin", role=Role.admin
        )
        _things_to_reach(s, app, world, clock)
        token = api_tokens.create_token(s, name="Alla", forvaltning="", read_all=True, now=clock())
    with TestClient(web, raise_server_exceptions=False) as client:
        log_in(client, app, admin, clock())
        # Log-out (and revoking one's own links) would leave the rest of the run anonymous.
        routes = sorted(r for r in app_routes(web) if r != ("POST", "/logga-ut"))
        routes += sorted(api_routes(web))
        yield Browser(
            client,
            lambda: log_in(client, app, admin, clock()),
            _post_fields(web),
            _query_fields(web) | _query_fields(_api(web), API_PREFIX),
            routes,
            {"Authorization": f"Bearer {token.secret}"},
        )


def _things_to_reach(s: Session, app: App, world: World, clock: MovableClock) -> None:
    """Number 1 of what the newer pages are about, of the world's förvaltning."""
    forvaltning = world.chef.forvaltning
    internal_control.import_control_plan(
        s,
        app.registry,
        CONTROL_PLAN.read_bytes(),
        CONTROL_PLAN.name,
        namnd="Socialnämnden",
        year=2018,
        forvaltning=forvaltning,
        now=clock(),
    )
    audit = audits.create_audit(s, now=clock(), title="Granskning", forvaltning=forvaltning)
    audits.add_recommendation(s, audit, "Förbättra rutinerna")
    protokoll.draft_from_text(
        s,
        forvaltning=forvaltning,
        body="Ledningsgruppen",
        meeting_on=date(2018, 1, 9),
        title="",
        text="Beslut\nAnna Berg tar fram en rutin till den 1 mars.",
        filename="",
        now=clock(),
        actor=world.chef,
    )


def _path(template: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), template)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_gets_a_server_error(browser: Browser, data: st.DataObject) -> None:
    client = browser.client
    if client.get("/planer", follow_redirects=False).status_code != 200:
        browser.log_in()  # an earlier request revoked the admin's own links
    method, template = data.draw(st.sampled_from(browser.routes), label="route")
    params = {
        name: data.draw(st.one_of(NUMBER_TEXT, TEXT), label=name)
        for name in _PARAM.findall(template)
    }
    path = _path(template, params)
    if method == "GET":
        names = ["visa", "q", "x", *browser.queries.get(template, [])]
        query = data.draw(st.dictionaries(st.sampled_from(names), VALUE, max_size=3))
        headers = browser.token if template.startswith(API_PREFIX) else {}
        done = client.get(path, params=query, headers=headers, follow_redirects=False)
    else:
        csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
        form = {name: data.draw(VALUE, label=name) for name in browser.fields.get(template, [])}
        done = client.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code < 500, (method, path, done.status_code, done.text[:300])


def test_the_generated_requests_cover_every_route(browser: Browser) -> None:
    assert set(browser.routes) | {("POST", "/logga-ut")} == set(ROUTES) | set(API_ROUTES)
    # Each route the raw fields are for is one of them.
    assert {("POST", path) for path in RAW_FIELDS} <= set(browser.routes)


# Values that have broken a route before: digits int() cannot read, a number beyond every
# column, a negative one, a date that is no day, and a long text.
ODD_VALUES = ["²", "-1", "99999999999999999999", "2018-02-30", "x" * 3000]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", ODD_VALUES)
def test_every_route_answers_an_odd_value_in_every_field_without_a_server_error(
    browser: Browser, value: str
) -> None:
    """Each route once, its ids 1 (the things _things_to_reach made) and every field it reads
    holding `value`: a sweep the generated requests above reach only by chance."""
    client = browser.client
    failed = []
    csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
    for method, template in browser.routes:
        path = _PARAM.sub("1", template)
        if method == "GET":
            query = dict.fromkeys(browser.queries.get(template, []), value)
            headers = browser.token if template.startswith(API_PREFIX) else {}
            done = client.get(path, params=query, headers=headers, follow_redirects=False)
        else:
            form = dict.fromkeys(browser.fields.get(template, []), value)
            done = client.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
        if done.status_code >= 500:
            failed.append((method, template, done.status_code))
        if client.get("/planer", follow_redirects=False).status_code != 200:
            # The route revoked the admin's own links, and with them the log-in.
            browser.log_in()
            csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
    assert not failed


def test_a_nul_character_in_any_query_gets_no_server_error(browser: Browser) -> None:
    """Each query parameter of each page and of the API, with a NUL character (PostgreSQL
    keeps none in text, so a search for one must not reach it): the walk above draws it
    only now and then."""
    wrong = {}
    for method, template in browser.routes:
        names = browser.queries.get(template, []) if method == "GET" else []
        headers = browser.token if template.startswith(API_PREFIX) else {}
        for name in names:
            path = _path(template, dict.fromkeys(_PARAM.findall(template), "1"))
            done = browser.client.get(
                path, params={name: "a\x00b"}, headers=headers, follow_redirects=False
            )
            if done.status_code >= 500:
                wrong[(template, name)] = done.status_code
    assert not wrong
