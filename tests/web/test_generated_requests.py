"""Generated requests against every route of the app: whatever a path segment, a query or a
form field holds, the answer is a page with a 2xx, 3xx or 4xx status, never a server error.

Hypothesis draws a route from the app's own route list (the table in test_access.py), then
values for its path parameters and form fields: numbers of any size, text with control
characters and any script, dates that are no dates. The person asking is logged in as an
admin, who reaches the most code. Derandomised, so a run in CI is the run a developer
repeats; `--hypothesis-seed` and a larger max_examples explore further.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in
from tests.web.test_access import ROUTES, app_routes
from tracker.app import App
from tracker.models import Role
from tracker.services import people
from tracker.web.main import create_app

_PARAM = re.compile(r"\{(\w+)\}")

# Text a person could type or a client could send: any script, control characters and NUL
# included (surrogates cannot be sent as UTF-8 at all).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "1", "2", "007", "1e3", "١٢", "-0", " 1", "1.5", "NaN"]),
)
VALUE = st.one_of(TEXT, NUMBER_TEXT, st.dates().map(str))


def _post_fields(web: FastAPI) -> dict[str, list[str]]:
    """The form fields each POST route reads, from the routes themselves."""
    fields: dict[str, list[str]] = {}
    for route in web.routes:
        included = getattr(route, "original_router", None)
        for r in included.routes if included is not None else [route]:
            if isinstance(r, APIRoute) and "POST" in r.methods:
                fields[r.path] = [f.alias for f in r.dependant.body_params if f.alias != "file"]
    return fields


@dataclass
class Browser:
    client: TestClient
    log_in: Callable[[], None]
    fields: dict[str, list[str]]
    routes: list[tuple[str, str]]


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
    with TestClient(web, raise_server_exceptions=False) as client:
        log_in(client, app, admin, clock())
        # Log-out (and revoking one's own links) would leave the rest of the run anonymous.
        routes = sorted(r for r in app_routes(web) if r != ("POST", "/logga-ut"))
        yield Browser(
            client, lambda: log_in(client, app, admin, clock()), _post_fields(web), routes
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
        query = data.draw(st.dictionaries(st.sampled_from(["visa", "q", "x"]), VALUE, max_size=2))
        done = client.get(path, params=query, follow_redirects=False)
    else:
        csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
        form = {name: data.draw(VALUE, label=name) for name in browser.fields.get(template, [])}
        done = client.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code < 500, (method, path, done.status_code, done.text[:300])


def test_the_generated_requests_cover_every_route(browser: Browser) -> None:
    assert set(browser.routes) | {("POST", "/logga-ut")} == set(ROUTES)
