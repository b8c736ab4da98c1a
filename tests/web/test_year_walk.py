"""A förvaltning's year in a real headless Chromium, as a chef who never opens a terminal
walks it: log in, import the Piteå plan with a "läget per" date, set the nämnd's recipients,
assign an åtgärd, the owner reports through the mail's link, the chef follows it on the start
page, drafts, approves and sends the återrapport, and the nämnd's address receives it with
PDF and DOCX over real SMTP.

Every page is checked with axe-core (WCAG 2.1 A/AA) and kept as a screenshot at desktop and
phone width, in TRACKER_TEST_ARTIFACTS (default: the test's temporary directory).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import col, select

from config import load_settings
from tests.support.schema import create_schema
from tests.support.smtp import SmtpServer
from tests.web.helpers import MovableClock

# The browser test's guard: skipped without Chromium, failed if it is required.
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _chromium_present  # noqa: F401
from tracker.app import App, bootstrap
from tracker.models import Action, OutboxMessage, Plan, Role
from tracker.services import people
from tracker.services.dispatch import send_outbox
from tracker.web.links import login_url
from tracker.web.main import create_app

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pitea-2018.csv"
# A Monday in June 2018: the plan moved into the product then, its states as of 10 January.
NOW = datetime(2018, 6, 4, 8, 0, tzinfo=UTC)
TITLE = "Åtgärdsplan för att stärka grundskolans ledningsfunktion"
NAMND = "namnd@pitea.example"
OWNER = ("Anna Berg", "anna.berg@pitea.example")
NOTE = "Rutinen för informationsöverföring är skriven och prövas under hösten."
SIZES = {"dator": {"width": 1280, "height": 900}, "telefon": {"width": 390, "height": 844}}


@dataclass
class Site:
    app: App
    base: str
    clock: MovableClock
    smtp: SmtpServer


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    smtp = SmtpServer().start()
    settings = load_settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'year.db'}",
        secret_key="year-walk-" + "s" * 40,
        public_base_url=base,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
    )
    app = bootstrap(settings)
    create_schema(app.engine)
    clock = MovableClock(NOW)
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, clock=clock), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(app=app, base=base, clock=clock, smtp=smtp)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        smtp.stop()
        app.engine.dispose()


class Walk:
    """The chef's browser, checking and photographing every page it comes to."""

    def __init__(self, browser: Any, site: Site, shots: Path) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.site = site
        self.shots = shots
        self.axe = Axe()
        # axe-core runs as a script the test injects: the pages' own policy allows none (and
        # they use none, so the walk is the same as without JavaScript).
        self.page = browser.new_page(viewport=SIZES["dator"], bypass_csp=True)
        self.steps = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.site.base + path if path.startswith("/") else path)

    def check(self, name: str) -> None:
        """axe-core on the page as it stands, then a screenshot at each width."""
        page = self.page
        page.set_viewport_size(SIZES["dator"])
        result = self.axe.run(page)
        violations = [v["id"] for v in result.response["violations"]]
        assert violations == [], f"{name}: {result.generate_report()}"
        self.steps += 1
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.screenshot(
                path=str(self.shots / f"{self.steps:02d}-{name}-{size}.png"), full_page=True
            )
        page.set_viewport_size(SIZES["dator"])


def artefacts(tmp_path: Path) -> Path:
    root = os.environ.get("TRACKER_TEST_ARTIFACTS")
    shots = (Path(root) if root else tmp_path) / "arsgang"
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def outbox_to(site: Site, address: str) -> list[OutboxMessage]:
    with site.app.transaction() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.to_addr == address)))


def test_a_forvaltnings_year_from_the_web(site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with site.app.transaction() as s:
        chef = people.ensure_person(
            s,
            "malin.westling@pitea.example",
            now=NOW,
            name="Malin Westling",
            role=Role.chef,
            forvaltning="Utbildningsförvaltningen",
        )
        login = login_url(site.app.settings, chef, now=NOW)
    shots = artefacts(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            walk = Walk(browser, site, shots)
            page = walk.page

            # The chef logs in with the link from their mail.
            walk.goto(login)
            walk.check("logga-in")
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            walk.check("start-tom")

            # Imports the Piteå plan as it stood on 10 January.
            walk.goto("/planer/import")
            walk.check("import")
            page.set_input_files("#file", str(EXAMPLE))
            page.get_by_label("Planens namn").fill(TITLE)
            page.get_by_label("Nämnd").fill("Barn- och utbildningsnämnden")
            page.get_by_label("Läget per").fill("2018-01-10")
            page.get_by_role("button", name="Importera").click()
            expect(page.get_by_text("pitea-2018.csv är importerad.")).to_be_visible()
            walk.check("importerad")
            page.get_by_role("link", name="Öppna planen").click()
            plan_path = re.sub(r"^https?://[^/]+", "", page.url)
            walk.check("planen")

            # Sets the nämnd's recipients.
            page.get_by_role("link", name="Planens inställningar och mottagare").click()
            page.get_by_label("Lägg till e-postadress").fill(NAMND)
            page.get_by_role("button", name="Lägg till").click()
            expect(page.get_by_role("button", name=f"Ta bort {NAMND}")).to_be_visible()
            walk.check("installningar")

            # Assigns the åtgärd on informationsöverföring to Anna Berg.
            with site.app.transaction() as s:
                action = s.exec(
                    select(Action).where(col(Action.text).like("%nformationsöverföring%"))
                ).first()
                assert action is not None and action.id is not None
                action_id = action.id
            walk.goto(f"/atgarder/{action_id}")
            page.get_by_label("E-post").fill(OWNER[1])
            page.get_by_label("Namn").fill(OWNER[0])
            page.get_by_role("button", name=re.compile("Byt ansvarig|Tilldela")).click()
            expect(page.get_by_text(OWNER[0]).first).to_be_visible()
            walk.check("atgard-tilldelad")

            # The owner opens the link in the assignment mail, on a phone, and reports.
            [mail] = outbox_to(site, OWNER[1])
            link = re.search(r"http://\S+/ansvarig/\S+", mail.body_text)
            assert link is not None
            owner = Walk(browser, site, shots)
            owner.steps = walk.steps  # one numbering for the whole walk
            owner.page.goto(link.group())
            owner.check("agarens-sida")
            owner.page.set_viewport_size(SIZES["telefon"])
            owner.page.get_by_label("Nytt processläge").first.fill(NOTE)
            owner.page.get_by_role("button", name="Spara processläge").first.click()
            expect(owner.page.get_by_text(NOTE)).to_be_visible()
            owner.check("agarens-kvitto")
            owner.goto("/lank/ny")
            owner.check("ny-lank")
            owner.page.close()
            walk.steps = owner.steps

            # The chef sees it: the start page, and the note on the plan page.
            site.clock.advance(hours=2)
            walk.goto("/start")
            expect(page.get_by_role("link", name=TITLE).first).to_be_visible()
            walk.check("start")
            walk.goto(plan_path)
            expect(page.get_by_text(NOTE)).to_be_visible()
            walk.goto("/planer/999999")
            expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
            walk.check("sidan-finns-inte")

            # Drafts the återrapport as of today, approves it, and it goes to the nämnd.
            walk.goto(f"{plan_path}/aterrapporter")
            walk.check("aterrapporter")
            page.get_by_label("Läget per").fill("2018-06-04")
            page.get_by_role("button", name="Gör utkast").click()
            expect(page.get_by_role("link", name="Godkänn och skicka …")).to_be_visible()
            walk.check("utkast")
            # Approving asks first: the confirmation page says what goes where.
            page.get_by_role("link", name="Godkänn och skicka …").click()
            expect(page.get_by_text(NAMND).first).to_be_visible()
            walk.check("godkann-bekrafta")
            page.get_by_role("button", name="Godkänn och skicka").click()
            expect(page.get_by_text(re.compile("Nr 1|nr 1")).first).to_be_visible()
            walk.check("godkand")
            # The archived HTML document opens in the browser and passes axe-core too.
            page.get_by_role("link", name="HTML", exact=True).click()
            expect(page.get_by_role("main")).to_be_visible()
            expect(page.get_by_text(NOTE)).to_be_visible()
            walk.check("aterrapport-html")
        finally:
            browser.close()

    # The outbox goes out over real SMTP: the nämnd receives the report with PDF and DOCX.
    sent = send_outbox(site.app, now=site.clock())
    assert sent.sent >= 2, sent
    [received] = [m for m in site.smtp.messages() if str(m["To"]) == NAMND]
    files = sorted(
        (part.get_content_type(), part.get_filename() or "") for part in received.iter_attachments()
    )
    assert [kind for kind, _ in files] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert all(name.endswith((".pdf", ".docx")) for _, name in files)
    with site.app.transaction() as s:
        plan = s.exec(select(Plan).where(Plan.title == TITLE)).one()
    assert plan.board_recipients == NAMND
    assert len(list(shots.glob("*-dator.png"))) == walk.steps
    assert len(list(shots.glob("*-telefon.png"))) == walk.steps
