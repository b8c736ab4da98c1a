"""What reaches the owner pages as HTTP: HEAD, cookies, malformed forms and addresses, the
security headers, and a change that finds its åtgärd locked by another transaction (a
re-import holds such locks): only that request waits, and it ends in a clear 503."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from tests.support.locks import held_lock
from tests.support.smtp import free_port
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, owner_path, text_of
from tests.web.test_api import auth, make_token
from tests.web.test_owner_pages import action, snapshot
from tracker.app import App
from tracker.db import make_engine
from tracker.web.forms import FORM_LIMIT, TEXT_LIMIT
from tracker.web.main import create_app


def test_head_answers_like_get_without_a_body(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    path = owner_path(app, world.anna, clock())
    page = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(page.content))
    assert head.headers["referrer-policy"] == "no-referrer"
    assert head.headers["cache-control"] == "no-store"


def test_the_owner_pages_set_no_cookie(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = client.get(owner_path(app, world.anna, clock()))
    form = form_to(page.text, f"/atgard/{world.a1}")
    done = client.post(form.action, data=form.data(text="Pågår enligt tidsplan."))
    assert done.status_code == 200
    assert "set-cookie" not in page.headers
    assert "set-cookie" not in done.headers


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"content": "text/plain"}, id="not-a-form"),
        pytest.param({"text": "x" * (TEXT_LIMIT + 1)}, id="text-too-long"),
        pytest.param({"text": "Före\x00efter"}, id="nul-character"),
        pytest.param({"body": b"version=1&text=" + b"x" * FORM_LIMIT}, id="body-too-large"),
        pytest.param({"version": "99999999999"}, id="version-too-large"),
        pytest.param({"version": "-1"}, id="version-negative"),
    ],
)
def test_a_malformed_update_form_is_refused_whole(
    client: TestClient, app: App, world: World, clock: MovableClock, change: dict[str, object]
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    data = form.data(trigger="starta", text=str(change.get("text", "Startar nu.")))
    if "version" in change:
        data["version"] = str(change["version"])
    if "body" in change or "content" in change:
        body = change.get("body")
        done = client.post(
            form.action,
            content=body if isinstance(body, bytes) else b"version=1&text=x",
            headers={
                "content-type": str(change.get("content", "application/x-www-form-urlencoded"))
            },
        )
    else:
        done = client.post(form.action, data=data)
    assert done.status_code == (413 if "body" in change else 400)
    assert "Formuläret" in done.text and "Ingenting ändrades" in done.text
    assert snapshot(app) == before


@pytest.mark.parametrize("segment", ["abc", "1.5", "-1", "١٢", "1234567890"])
def test_an_update_address_without_a_plain_number_is_not_a_page(
    client: TestClient, app: App, world: World, clock: MovableClock, segment: str
) -> None:
    form = form_to(client.get(owner_path(app, world.anna, clock())).text, f"/atgard/{world.a1}")
    before = snapshot(app)
    target = form.action.rsplit("/", 1)[0] + "/" + segment
    done = client.post(target, data=form.data(text="Fel adress"))
    assert done.status_code == 404
    assert snapshot(app) == before


def test_every_owner_page_has_the_apps_security_headers(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    good = client.get(owner_path(app, world.anna, clock()))
    bad = client.get("/ansvarig/ogiltig")
    other = client.get("/logga-in")
    assert (good.status_code, bad.status_code) == (200, 403)
    for name in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert good.headers[name] == bad.headers[name] == other.headers[name]
    # The bad link's form to ask for a new one needs the session (its CSRF token); the
    # owner's own page needs none.
    assert "tracker_session" in bad.headers.get("set-cookie", "")
    assert "set-cookie" not in good.headers


# --- a change that finds its åtgärd locked ------------------------------------------------


@contextmanager
def serving(app: App, clock: MovableClock) -> Iterator[str]:
    """The web app under a real uvicorn, in a thread: requests run concurrently, as in
    production (a test client answers one at a time)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(app, clock=clock), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as probe:
            for _ in range(500):
                if server.started:
                    break
                threading.Event().wait(0.01)
            assert server.started
            probe.get("/logga-in")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _waiting_for_a_lock(conn: Connection) -> bool:
    waiting = conn.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    ).scalar_one()
    return bool(waiting)


def test_a_locked_action_makes_only_its_own_request_wait_and_then_a_clear_503(
    app: App, world: World, clock: MovableClock
) -> None:
    patient = replace(app, engine=make_engine(app.settings.database_url, lock_timeout_s=1.5))
    with serving(patient, clock) as base, httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get(owner_path(app, world.anna, clock()))
        form = form_to(page.text, f"/atgard/{world.a1}")
        before = snapshot(app)
        answers: list[httpx.Response] = []
        with held_lock(app, "action", world.a1):
            post = threading.Thread(
                target=lambda: answers.append(
                    browser.post(form.action, data=form.data(text="Under importen"))
                )
            )
            post.start()
            if app.engine.dialect.name == "postgresql":
                with app.engine.connect() as conn:
                    for _ in range(500):
                        if _waiting_for_a_lock(conn):
                            break
                        threading.Event().wait(0.01)
                    assert _waiting_for_a_lock(conn)
            # Another owner's page meanwhile: served while the update waits.
            other = browser.get(owner_path(app, world.bo, clock()))
            assert other.status_code == 200
            assert post.is_alive()
            post.join()
        (refused,) = answers
        assert refused.status_code == 503
        assert "Det är fullt just nu" in text_of(refused.text)
        assert "Ingenting ändrades" in text_of(refused.text)
        assert snapshot(app) == before
        # Once the lock is free the same form goes through.
        done = browser.post(form.action, data=form.data(text="Efter importen"))
        assert done.status_code == 200
        assert action(app, world.a1).progress_note == "Efter importen"
    patient.engine.dispose()


def test_a_burst_larger_than_the_connection_pool_is_served_without_a_deadlock(
    app: App, world: World, clock: MovableClock
) -> None:
    """Every request holds a connection from its handler to the end of its transaction, which
    runs in another worker thread: if that end waited for a thread held by handlers that wait
    for a connection, no request would finish (the pool gives up after pool_timeout)."""
    # A deadlock holds every request for the whole pool wait. The wait is long, so that a
    # machine busy with other work, where 80 requests take seconds in turn, is not taken for
    # one (a full pool is a 503 of its own: the test below).
    tight = replace(
        app,
        engine=make_engine(app.settings.database_url, pool_size=1, max_overflow=0, pool_timeout=30),
    )
    page = owner_path(app, world.anna, clock())
    with serving(tight, clock) as base:

        def fetch(_: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as browser:
                return browser.get(page).status_code

        with ThreadPoolExecutor(max_workers=80) as pool:
            statuses = list(pool.map(fetch, range(80)))
    tight.engine.dispose()
    assert statuses == [200] * 80


def test_a_pool_with_every_connection_busy_answers_a_swedish_503_on_the_web_and_the_api(
    app: App, world: World, clock: MovableClock
) -> None:
    """A pool that stays full for its whole wait is overload, not a fault in the request:
    the same "fullt just nu" as a lock wait, JSON in the API, nothing changed."""
    full = replace(
        app,
        engine=make_engine(
            app.settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.2
        ),
    )
    page = owner_path(app, world.anna, clock())
    secret = make_token(app, clock)
    with (
        serving(full, clock) as base,
        full.engine.connect(),  # the one connection, held
        httpx.Client(base_url=base, timeout=30) as browser,
    ):
        web = browser.get(page)
        api = browser.get("/api/v1/plans", headers=auth(secret))
    full.engine.dispose()
    assert web.status_code == 503
    assert "Det är fullt just nu" in text_of(web.text)
    assert "ingenting ändrades" in text_of(web.text)
    assert api.status_code == 503
    assert "hinner med" in api.json()["detail"]
