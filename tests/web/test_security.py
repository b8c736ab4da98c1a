"""What every response carries behind https (HSTS), and the Swedish answer to a form field
over its length limit, on the owner's, the chef's and the file import's forms."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, owner_path, text_of
from tracker.app import App
from tracker.models import Action, ActionEvent, Plan
from tracker.web.forms import FORM_LIMIT, TEXT_LIMIT
from tracker.web.main import create_app

HSTS = "max-age=31536000; includeSubDomains"


# --- HSTS ---------------------------------------------------------------------------------


def _https_client(app: App, clock: MovableClock) -> TestClient:
    settings = app.settings.model_copy(update={"public_base_url": "https://planer.pitea.example"})
    served = App(settings=settings, engine=app.engine, registry=app.registry)
    return TestClient(create_app(served, clock=clock), base_url="https://planer.pitea.example")


def test_every_response_behind_https_sends_hsts(
    app: App, world: World, clock: MovableClock
) -> None:
    with _https_client(app, clock) as c:
        responses = [
            c.get("/logga-in"),  # a page
            c.get("/planer", follow_redirects=False),  # a redirect
            c.get("/finns-inte"),  # an error page
            c.get("/static/style.css"),  # a file
            c.get(owner_path(app, world.anna, clock())),  # an owner's page
        ]
    assert [r.status_code for r in responses] == [200, 303, 404, 200, 200]
    for r in responses:
        assert r.headers["strict-transport-security"] == HSTS, r.url


def test_plain_http_sends_no_hsts(client: TestClient, app: App, world: World) -> None:
    # A browser ignores it over http; sent there, it would only mislead.
    for r in (client.get("/logga-in"), client.get("/planer", follow_redirects=False)):
        assert "strict-transport-security" not in r.headers
        assert r.headers["x-frame-options"] == "DENY"


# --- a field over its limit ---------------------------------------------------------------


def _notes(app: App, action_id: int) -> tuple[str, int, int]:
    with app.transaction() as s:
        action = s.get_one(Action, action_id)
        events = s.exec(select(ActionEvent).where(col(ActionEvent.action_id) == action_id))
        return action.progress_note, action.version, len(events.all())


def test_an_owner_note_over_the_limit_says_so_in_swedish_and_keeps_the_text(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = _notes(app, world.a1)
    written = ("Pågår enligt tidsplan; rutinen är på remiss. " * 500)[: TEXT_LIMIT + 1]
    assert len(written) == 20_001
    done = client.post(form.action, data=form.data(text=written))
    assert done.status_code == 400
    words = text_of(done.text)
    assert (
        "Texten är för lång: högst 20 000 tecken. Du skrev 20 001 tecken, 1 för många. "
        "Ingenting ändrades." in words
    )
    assert "Formuläret saknar en uppgift" not in words
    # What was written is on the page, to shorten rather than write again, in a box named
    # for its field, with the way back to the page it was written on.
    assert " ".join(written.split()) in words
    assert "Texten är för lång: 20 001 tecken, 1 för många" in words
    back = owner_path(app, world.anna, clock())
    assert f'<a href="{back}">Tillbaka till sidan med formuläret</a>' in done.text
    assert client.get(back).status_code == 200
    assert _notes(app, world.a1) == before


def test_the_text_kept_on_the_page_is_escaped(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    written = "</textarea><b>fet</b>" + "x" * TEXT_LIMIT
    done = client.post(form.action, data=form.data(text=written))
    assert done.status_code == 400
    assert "<b>fet</b>" not in done.text
    assert "&lt;/textarea&gt;&lt;b&gt;fet&lt;/b&gt;" in done.text


@pytest.mark.parametrize(
    ("field", "limit", "message"),
    [
        ("tidsplan", 2000, "Tidsplanen är för lång: högst 2 000 tecken. Du skrev 2 001"),
        ("text", 20_000, "Texten är för lång: högst 20 000 tecken. Du skrev 20 001"),
    ],
)
def test_a_chef_form_field_over_its_limit_names_the_field_and_its_limit(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    field: str,
    limit: int,
    message: str,
) -> None:
    log_in(client, app, world.chef, clock())
    form = form_to(client.get(f"/atgarder/{world.a1}").text, "/andra")
    with app.transaction() as s:
        before = s.get_one(Action, world.a1).model_dump()
    done = client.post(form.action, data=form.data(**{field: "å" * (limit + 1)}))
    assert done.status_code == 400
    assert message in text_of(done.text)
    assert f'<a href="/atgarder/{world.a1}">Tillbaka' in done.text
    with app.transaction() as s:
        assert s.get_one(Action, world.a1).model_dump() == before


def test_two_fields_over_their_limits_are_both_named(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    form = form_to(client.get(f"/atgarder/{world.a1}").text, "/andra")
    done = client.post(form.action, data=form.data(text="x" * 20_001, tidsplan="x" * 2001))
    words = text_of(done.text)
    assert (
        "Texten är för lång: högst 20 000 tecken. Du skrev 20 001 tecken, 1 för många. "
        "Tidsplanen är för lång: högst 2 000 tecken. Du skrev 2 001 tecken, 1 för många. "
        "Ingenting ändrades." in words
    )


def test_a_multipart_import_field_over_a_megabyte_names_the_field_in_swedish(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    form = form_to(client.get("/planer/import").text, "/planer/import")
    csv = "Utvecklingsområde;Åtgärd\nOmråde;Åtgärd\n".encode()
    title = "Plan " * (1024 * 1024 // 5 + 1)
    assert len(title.encode()) > 1024 * 1024
    done = client.post(
        form.action, data=form.data(title=title), files={"file": ("plan.csv", csv, "text/csv")}
    )
    assert done.status_code == 400
    words = text_of(done.text)
    assert "Namnet är för långt: högst 500 tecken. Du skrev 1 048 580 tecken" in words
    assert '<a href="/planer/import">Tillbaka' in done.text
    assert "exceeded" not in words
    # A megabyte is not echoed back: a plain form could never have carried it.
    assert len(done.content) < FORM_LIMIT
    with app.transaction() as s:
        assert [p.id for p in s.exec(select(Plan)).all()] == [world.plan_id]


def test_an_overlong_field_on_the_log_in_form_gets_the_same_answer(
    client: TestClient, world: World
) -> None:
    form = form_to(client.get("/logga-in").text, "/logga-in")
    done = client.post(form.action, data=form.data(email="a" * 321))
    assert done.status_code == 400
    assert "E-postadressen är för lång: högst 320 tecken." in text_of(done.text)
