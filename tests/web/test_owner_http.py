"""The owner pages' own request handling (tracker.web.owner_http): what reaches them, what a
malformed request gets, and an update that finds SQLite's write lock taken."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, owner_path
from tests.web.test_owner_pages import action, snapshot
from tracker.app import App
from tracker.web.deps import Web
from tracker.web.owner_batch import OwnerBatches
from tracker.web.owner_http import BODY_LIMIT, TEXT_LIMIT
from tracker.web.routes.owner import Posted


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
        pytest.param({"multipart": True}, id="multipart"),
        pytest.param({"text": "x" * (TEXT_LIMIT + 1)}, id="text-too-long"),
        pytest.param({"text": "Före\x00efter"}, id="nul-character"),
        pytest.param({"body": b"text=%FF%FE&version=1"}, id="not-utf8"),
        pytest.param({"body": b"version=1&" + b"a=b&" * 20}, id="too-many-fields"),
        pytest.param({"body": b"version=1&text=" + b"x" * BODY_LIMIT}, id="body-too-large"),
        pytest.param({"version": "99999999999"}, id="version-too-long"),
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
    if change.get("multipart"):
        done = client.post(form.action, files={k: (None, v) for k, v in data.items()})
    elif "body" in change or "content" in change:
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
    assert done.status_code == 400
    assert "Formuläret är inte komplett" in done.text
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


@pytest.fixture
def held_write_lock(app: App) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock, as another process's change would."""
    assert app.engine.dialect.name == "sqlite"  # PostgreSQL locks rows, not the database
    path = app.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.rollback()
        other.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_update_waits_for_the_write_lock_without_blocking_and_then_gives_up(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    held_write_lock: sqlite3.Connection,
) -> None:
    state: Web = web.state.web
    page = client.get(owner_path(app, world.anna, clock()))
    form = form_to(page.text, f"/atgard/{world.a1}")
    token = owner_path(app, world.anna, clock()).rsplit("/", 1)[1]
    posted = Posted(token, world.a1, int(form.fields["version"]), form.fields["csrf"], "", "Nu")
    before = snapshot(app)  # WAL: reading needs no lock

    async def while_held() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        beat = asyncio.create_task(ticker())
        page = await OwnerBatches(state, give_up_after_s=0.05).update(posted)
        beat.cancel()
        return page.status_code, ticks

    status, ticks = asyncio.run(while_held())
    assert status == 503
    assert ticks > 3  # the event loop went on serving while the update waited
    held_write_lock.rollback()
    assert snapshot(app) == before
    # Once the lock is free the same form goes through.
    done = asyncio.run(OwnerBatches(state).update(posted))
    assert done.template == "owner/receipt.html"
    assert action(app, world.a1).progress_note == "Nu"


def test_every_owner_page_has_the_apps_security_headers(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """They are answered before FastAPI's middleware, which sets these for the other pages."""
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


def test_a_failure_after_the_change_is_the_same_on_both_databases(
    client: TestClient,
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On PostgreSQL the change is committed as its statement runs, so the receipt is made
    after the unit has ended: a failure there leaves the change saved and logged on both
    databases (never saved on one and rolled back on the other, nor saved but unlogged)."""
    state: Web = web.state.web
    path = owner_path(app, world.anna, clock())
    form = form_to(client.get(path).text, f"/atgard/{world.a1}")
    posted = Posted(
        path.rsplit("/", 1)[1], world.a1, int(form.fields["version"]), form.fields["csrf"], "", "Nu"
    )

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kvittot gick sönder")

    monkeypatch.setattr("tracker.web.routes.owner.action_view", broken)
    with caplog.at_level("INFO", logger="tracker"), pytest.raises(RuntimeError):
        asyncio.run(OwnerBatches(state).update(posted))
    assert action(app, world.a1).progress_note == "Nu"
    assert any(r.getMessage() == "action.changed" for r in caplog.records)
