"""In a real headless Chromium without JavaScript: an owner opens the link in the e-mail about
a control of the internkontrollplan, reports it with a deviation, and the deviation opens an
åtgärd in the plan's "Åtgärder från internkontroll"; the owner's page with the control's form
passes axe-core."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import col, select

from config import load_settings
from tests.support import builders as b
from tests.support.schema import create_schema
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _chromium_present
from tracker.app import App, bootstrap
from tracker.models import Action, ActionEvent, Area, Person, Role
from tracker.services import internal_control, people
from tracker.services.control_occurrences import CONTROL_WORKFLOW
from tracker.services.reminders import send_reminders
from tracker.web.links import owner_url
from tracker.web.main import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "internkontroll-skola.csv"
OPENED = b.at(date(2025, 1, 17))  # Friday: January's monthly control is opened
NOW = b.at(date(2025, 1, 29), 10)
DEVIATION = "Frånvaro registrerades inte samma dag på två av fem lektioner på Norrmalmskolan."

pytestmark = pytest.mark.browser
__all__ = ["_chromium_present"]  # the module fixture: skipped, or failed, without Chromium


@dataclass
class Site:
    app: App
    base: str
    control_id: int
    owner_url: str


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
        people.ensure_person(
            s,
            "malin.westling@pitea.example",
            now=OPENED,
            name="Malin Westling",
            role=Role.chef,
            forvaltning="Barn- och utbildningsförvaltningen",
        )
        internal_control.import_control_plan(
            s,
            app.registry,
            EXAMPLE.read_bytes(),
            EXAMPLE.name,
            namnd="Barn- och utbildningsnämnden",
            year=2025,
            forvaltning="Barn- och utbildningsförvaltningen",
            now=b.at(date(2025, 1, 2)),
        )
    send_reminders(app, now=OPENED)
    with app.transaction() as s:
        control = s.exec(
            select(Action).where(
                Action.workflow == CONTROL_WORKFLOW,
                col(Action.text).startswith("Kontroll att lärare registrerar frånvaro"),
            )
        ).one()
        owner = s.get_one(Person, control.owner_id)
        assert control.id is not None
        url = owner_url(settings, owner, now=NOW, action_id=control.id)
        control_id = control.id
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, clock=lambda: NOW), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(app=app, base=base, control_id=control_id, owner_url=url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.engine.dispose()


def test_an_owner_reports_a_control_with_a_deviation_through_the_link(
    site: Site, tmp_path: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # axe-core is injected by the test: the pages' own policy allows no scripts.
            checked = browser.new_page(bypass_csp=True)
            checked.goto(site.owner_url)
            result = Axe().run(checked)
            assert not result.violations_count, result.generate_snapshot()
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, java_script_enabled=False
            )
            page.goto(site.owner_url)
            expect(page.get_by_text("Kontroll att lärare registrerar frånvaro")).to_be_visible()
            expect(page.get_by_text("Planerad", exact=True)).to_be_visible()
            page.get_by_role("radio", name="Avvikelse").check()
            page.get_by_label("Beskriv avvikelsen").fill(DEVIATION)
            page.get_by_label("Urval: vad och hur många som kontrollerades").fill(
                "Fem lektioner per skola, vecka 4"
            )
            page.get_by_label("Metod som användes").fill("Registreringen jämförd med schemat")
            page.screenshot(path=str(tmp_path / "control-form.png"), full_page=True)
            page.get_by_role("button", name="Rapportera kontrollen").click()
            expect(page.get_by_role("heading", name="Genomförd")).to_be_visible()
            expect(page.get_by_text("Planerad → Genomförd")).to_be_visible()
        finally:
            browser.close()

    with site.app.transaction() as s:
        control = s.get_one(Action, site.control_id)
        assert control.state == "genomford"
        reported = s.exec(
            select(ActionEvent).where(
                ActionEvent.action_id == site.control_id, ActionEvent.trigger == "genomfor"
            )
        ).one()
        assert reported.answers_json is not None and DEVIATION in reported.answers_json
        assert '"value": "Avvikelse"' in reported.answers_json
        opened = s.exec(select(Action).where(Action.opened_from_id == site.control_id)).one()
        area = s.get_one(Area, opened.area_id)
    assert (opened.text, opened.workflow, opened.state) == (DEVIATION, "atgard", "ej_paborjat")
    assert opened.owner_id == control.owner_id and opened.plan_id == control.plan_id
    assert area.title == "Åtgärder från internkontroll"
