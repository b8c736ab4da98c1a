"""In a real headless Chromium without JavaScript: a chef uploads a ledningsgrupp's minutes,
reviews the drafted decisions, keeps two (one for a person typed in by name and address) and
confirms them; the upload and review pages pass axe-core."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import col, select

from config import load_settings
from tests.support.schema import create_schema
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, NOW, _chromium_present
from tracker.app import App, bootstrap
from tracker.models import Action, Plan, Role
from tracker.services import people
from tracker.web.links import login_url
from tracker.web.main import create_app

MINUTES = Path(__file__).resolve().parents[1] / "data" / "minutes"
HELSINGBORG = MINUTES / "helsingborg-ledningsgrupp-2021-02-09-ocr.txt"
FORVALTNING = "Skol- och fritidsförvaltningen"

pytestmark = pytest.mark.browser
__all__ = ["_chromium_present"]  # the module fixture: skipped, or failed, without Chromium


@dataclass
class Site:
    app: App
    base: str
    chef_login_url: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
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
    create_schema(app.engine)
    with app.transaction() as s:
        chef = people.ensure_person(
            s,
            "agneta.gullstrand@helsingborg.example",
            now=NOW,
            name="Agneta Gullstrand",
            role=Role.chef,
            forvaltning=FORVALTNING,
        )
        for name in ("Tony Mufic", "Maria Boman Hansson", "Matz Ingvarsson"):
            email = name.lower().replace(" ", ".") + "@helsingborg.example"
            people.ensure_person(s, email, now=NOW, name=name, forvaltning=FORVALTNING)
        chef_login = login_url(settings, chef, now=NOW)
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, clock=lambda: NOW), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(app=app, base=base, chef_login_url=chef_login)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.engine.dispose()


def test_a_chef_drafts_decisions_from_minutes_and_confirms_two(site: Site) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            page.get_by_role("link", name="Protokoll", exact=True).click()
            expect(page.get_by_role("heading", name="Beslut ur protokoll")).to_be_visible()
            page.get_by_label("Organ").fill("Ledningsgruppen")
            page.get_by_label("Sammanträdets datum").fill("2021-02-09")
            page.get_by_label("Fil (.txt, .docx eller .pdf)").set_input_files(str(HELSINGBORG))
            page.get_by_role("button", name="Ta fram besluten").click()
            expect(page.get_by_role("heading", name="Ledningsgruppen 2021-02-09")).to_be_visible()
            review = page.url
            drafts = page.locator("fieldset.draft").count()
            assert drafts >= 2
            # Keep the first two, each with an owner chosen; drop the rest.
            for i in range(drafts):
                keep = page.get_by_label(f"Ta med beslut {i + 1} som åtgärd", exact=True)
                if i < 2:
                    keep.check()
                else:
                    keep.uncheck()
            page.get_by_label("Ansvarig för beslut 1", exact=True).select_option(
                label="Maria Boman Hansson (maria.boman.hansson@helsingborg.example)"
            )
            # The second goes to someone the product does not know yet, typed in; an address
            # the browser lets through but mail could never reach is refused beside its box.
            page.get_by_label("Ny ansvarigs namn (beslut 2)", exact=True).fill("Anna Nyström")
            email = page.get_by_label("Ny ansvarigs e-post (beslut 2)", exact=True)
            email.fill("anna.nystrom@helsingborg")
            page.get_by_label("Klart till (beslut 1)", exact=True).fill("2021-03-23")
            page.get_by_role("button", name="Skapa åtgärder av de beslut som tas med").click()
            alert = page.locator("#beslut-1").get_by_role("alert")
            expect(alert).to_contain_text("Beslut 2: Ogiltig e-postadress")
            expect(email).to_have_value("anna.nystrom@helsingborg")
            expect(email).to_have_attribute("aria-invalid", "true")
            expect(page.get_by_label("Klart till (beslut 1)", exact=True)).to_have_value(
                "2021-03-23"
            )
            email.fill("anna.nystrom@helsingborg.example")
            page.get_by_role("button", name="Skapa åtgärder av de beslut som tas med").click()
            expect(
                page.get_by_text("Planen Ledningsgruppen 2021 har fått 2 beslut ur protokollet.")
            ).to_be_visible()
            first = page.locator("table.created a").first
            first.click()
            expect(page.get_by_text("Från protokoll Ledningsgruppen 2021-02-09")).to_be_visible()

            # The upload and review pages pass axe-core: a fresh protokoll for the review page
            # in its unconfirmed state, in a context that lets axe's script run.
            page.goto(site.base + "/protokoll")
            page.get_by_label("Organ").fill("Ledningsgruppen")
            page.get_by_label("Sammanträdets datum").fill("2021-02-09")
            page.get_by_label("… eller klistra in texten").fill(HELSINGBORG.read_text("utf-8"))
            page.get_by_role("button", name="Ta fram besluten").click()
            unconfirmed = page.url
            checked = browser.new_context(bypass_csp=True)
            checked.add_cookies(context.cookies())
            axe_page = checked.new_page()
            found = {}
            for url in (site.base + "/protokoll", unconfirmed, review):
                response = axe_page.goto(url)
                assert response is not None and response.status == 200, url
                result = Axe().run(axe_page)
                if result.violations_count:
                    found[url] = result.generate_snapshot()
        finally:
            browser.close()
    assert not found, found
    with site.app.transaction() as s:
        plan = s.exec(select(Plan)).one()
        created = s.exec(select(Action).order_by(col(Action.id))).all()
        assert plan.title == "Ledningsgruppen 2021" and plan.forvaltning == FORVALTNING
        assert [(a.workflow, a.state, a.plan_id) for a in created] == [
            ("protokoll", "tilldelad", plan.id)
        ] * 2
        assert all(a.protokoll_id is not None for a in created)
        anna = people.get_person(s, "anna.nystrom@helsingborg.example")
        assert (anna.name, anna.forvaltning) == ("Anna Nyström", FORVALTNING)
        assert created[1].owner_id == anna.id
