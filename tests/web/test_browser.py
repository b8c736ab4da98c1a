"""End to end in a real headless Chromium: an owner opens their link, starts an åtgärd with a
note, sees the receipt; the database and the history show the change."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import SQLModel

from config import load_settings
from tracker.app import App, bootstrap
from tracker.models import Action
from tracker.services import actions, people, plans
from tracker.web.links import owner_url
from tracker.web.main import create_app

CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2018, 1, 10, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def _chromium_present() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("TRACKER_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (TRACKER_TEST_REQUIRE_BROWSER) but missing")
        pytest.skip(f"{CHROMIUM} is not installed")


@dataclass
class Site:
    app: App
    base: str
    action_id: int
    owner_url: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    # The socket listens before the server thread starts, so the browser can connect at once.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'browser.db'}",
        secret_key="browser-test-" + "s" * 40,
        public_base_url=base,
    )
    app = bootstrap(settings)
    SQLModel.metadata.create_all(app.engine)
    with app.transaction() as s:
        plan = plans.create_plan(s, now=NOW, title="Åtgärdsplan ekonomiskt bistånd")
        area = plans.ensure_area(s, plan, "Ekonomiskt bistånd")
        anna = people.ensure_person(s, "anna.berg@pitea.example", now=NOW, name="Anna Berg")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=NOW,
            text="Ta fram rutin för handläggning",
            owner=anna,
            tidsplan="Klart till mars 2018. Utvärderas oktober 2018.",
            due_on=date(2018, 3, 31),
        )
        assert action.id is not None
        url = owner_url(settings, anna, now=NOW, action_id=action.id)
        action_id = action.id
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, clock=lambda: NOW), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(app=app, base=base, action_id=action_id, owner_url=url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.engine.dispose()


def test_owner_starts_an_action_with_a_note_in_a_real_browser(site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    note = "Pågår enligt tidsplan. Rutinen skrivs tillsammans med handläggarna."
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            # A phone-sized window: the page must work there.
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, java_script_enabled=False
            )
            page.goto(site.owner_url)
            expect(page.get_by_role("heading", name="Din åtgärd")).to_be_visible()
            expect(page.get_by_text("Ta fram rutin för handläggning")).to_be_visible()
            expect(page.get_by_text("Ej påbörjat")).to_be_visible()
            page.screenshot(path=str(tmp_path / "owner-page.png"), full_page=True)
            # Keyboard order starts with the skip link.
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
            page.get_by_label("Nytt processläge").fill(note)
            page.get_by_role("button", name="Starta").click()
            expect(page.get_by_role("heading", name="Startad")).to_be_visible()
            expect(page.get_by_text("Ej påbörjat → Pågår")).to_be_visible()
            expect(page.get_by_text(note)).to_be_visible()
            page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
            page.get_by_role("link", name="Tillbaka till sidan med åtgärden").click()
            expect(page.get_by_text("Pågår", exact=True)).to_be_visible()
            expect(page.get_by_label("Slutför: Vad har gjorts?")).to_be_visible()
        finally:
            browser.close()

    with site.app.transaction() as s:
        action = s.get(Action, site.action_id)
        assert action is not None
        assert (action.state, action.progress_note, action.version) == ("pagar", note, 2)
        history = actions.history(s, site.action_id)
    assert [e.trigger for e in history] == ["skapad", "starta"]
    last = history[-1]
    assert (last.from_state, last.to_state, last.text) == ("ej_paborjat", "pagar", note)
    assert last.actor_label == "Anna Berg <anna.berg@pitea.example>"
    assert last.at == NOW
