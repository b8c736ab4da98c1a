"""End to end in a real headless Chromium: an owner opens their link, starts an åtgärd with a
note, sees the receipt; the database and the history show the change."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import select

from config import load_settings
from tests.support.schema import create_schema
from tracker.app import App, bootstrap
from tracker.domain.meetings import MeetingRow
from tracker.models import Action, Area, Meeting, Person, Plan, Role
from tracker.services import (
    absences,
    actions,
    audits,
    indicators,
    internal_control,
    meetings,
    people,
    plan_settings,
    plans,
    reports,
)
from tracker.web.links import login_url, owner_url
from tracker.web.main import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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
    plan_id: int
    owner_id: int
    chef_login_url: str


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
    create_schema(app.engine)
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
        # Without an owner: a row on the start page's list of those.
        plans.add_action(s, app.registry, area, now=NOW, text="Stickprov varje kvartal")
        chef = people.ensure_person(
            s, "malin.westling@pitea.example", now=NOW, name="Malin Westling", role=Role.chef
        )
        assert action.id is not None and plan.id is not None and anna.id is not None
        url = owner_url(settings, anna, now=NOW, action_id=action.id)
        action_id, plan_id, owner_id = action.id, plan.id, anna.id
        chef_login = login_url(settings, chef, now=NOW)
    server = uvicorn.Server(
        uvicorn.Config(create_app(app, clock=lambda: NOW), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(
            app=app,
            base=base,
            action_id=action_id,
            owner_url=url,
            plan_id=plan_id,
            owner_id=owner_id,
            chef_login_url=chef_login,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.engine.dispose()


def test_owner_starts_an_action_with_a_note_in_a_real_browser(site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    note = "Pågår enligt tidsplan. Rutinen skrivs tillsammans med handläggarna."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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


def test_a_refusal_on_the_owners_page_lands_at_its_card_on_a_phone(site: Site) -> None:
    """Without scripts, at a phone's width: the reason a card's form was refused is in view,
    not 1,500 px down a page shown from its top, and the text is still in its box."""
    from playwright.sync_api import expect, sync_playwright

    with site.app.transaction() as s:
        anna = s.get(Person, site.owner_id)
        area = s.exec(select(Area)).first()
        assert anna is not None and area is not None
        for text in ("Stickprov varje kvartal", "Utbilda handläggarna i rutinen"):
            last = plans.add_action(s, site.app.registry, area, now=NOW, text=text, owner=anna)
        assert last.id is not None
        url, last_id = owner_url(site.app.settings, anna, now=NOW), last.id
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, java_script_enabled=False
            )
            page.goto(url)
            card = page.locator(f"#atgard-{last_id}")
            card.get_by_role("button", name="Spara processläge").click()
            alert = card.get_by_role("alert")
            expect(alert).to_have_text("Skriv processläget innan du sparar.")
            expect(alert).to_be_in_viewport()
            assert page.evaluate("document.querySelector(':target').id") == f"atgard-{last_id}"
            # A conflict (the åtgärd changed since the page was read) lands there too.
            with site.app.transaction() as s:
                chef = people.get_person(s, "malin.westling@pitea.example")
                actions.note_progress(s, last_id, chef, "Chefens anteckning", now=NOW)
            card.get_by_label("Nytt processläge").fill("Annas processläge")
            card.get_by_role("button", name="Spara processläge").click()
            expect(alert).to_contain_text("Åtgärden har ändrats sedan du öppnade sidan.")
            expect(alert).to_be_in_viewport()
            expect(card.get_by_label("Nytt processläge")).to_have_value("Annas processläge")
        finally:
            browser.close()


def test_a_refused_control_report_says_why_beside_its_box_on_a_phone(site: Site) -> None:
    """Without a script of the page's own, at a phone's width: the reason a kontroll's report
    was refused stands beside the box it is about, which names it as its description, and
    everything typed is kept; the page passes axe-core."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    with site.app.transaction() as s:
        anna = s.get(Person, site.owner_id)
        assert anna is not None
        area = plans.ensure_area(s, plans.get_plan(s, site.plan_id), "Kontroller")
        control = plans.add_action(
            s,
            site.app.registry,
            area,
            now=NOW,
            workflow="kontroll",
            owner=anna,
            text="Kontroll av delegationsbeslut",
        )
        assert control.id is not None
        url, control_id = owner_url(site.app.settings, anna, now=NOW), control.id
    reason = (
        "Du har fyllt i 'Beskriv avvikelsen' men valt 'Utan anmärkning': välj 'Avvikelse', "
        "eller töm rutan."
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # axe-core is injected by the test: the pages' own policy allows no scripts.
            page = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page.goto(url)
            card = page.locator(f"#atgard-{control_id}")
            card.get_by_label("Utan anmärkning").check()
            card.get_by_label("Beskriv avvikelsen").fill("Två beslut anmäldes inte.")
            card.get_by_label("Urval").fill("Alla beslut i mars")
            card.get_by_label("Metod som användes").fill("Genomläsning")
            card.get_by_role("button", name="Rapportera kontrollen").click()
            expect(card.get_by_role("alert")).to_contain_text("Ingenting sparades.")
            box = card.get_by_label("Beskriv avvikelsen")
            expect(box).to_have_accessible_description(reason)
            expect(box).to_have_attribute("aria-invalid", "true")
            expect(box).to_have_value("Två beslut anmäldes inte.")
            expect(card.get_by_text(reason)).to_be_visible()
            expect(card.get_by_label("Utan anmärkning")).to_be_checked()
            expect(card.get_by_label("Urval")).to_have_value("Alla beslut i mars")
            expect(card.get_by_label("Urval")).not_to_have_attribute("aria-invalid", "true")
            sideways = page.evaluate(SIDEWAYS)
            result = Axe().run(page)
        finally:
            browser.close()
    assert sideways == 0
    assert not result.violations_count, result.generate_snapshot()


def test_a_meeting_shows_the_report_due_at_it_on_a_phone(site: Site, tmp_path: Path) -> None:
    """At 390 px the calendar's table and the meeting's page show the återrapport due at the
    meeting, its label and its link, without making the page scroll sideways."""
    from playwright.sync_api import expect, sync_playwright

    meeting = calendar_pages(site)[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("heading", name="Att följa upp")).to_be_visible()
            sideways = {}
            for path in ("/sammantraden?ar=2018", meeting):
                page.goto(site.base + path)
                link = page.get_by_role("link", name="Utkast", exact=True)
                expect(link).to_be_visible()
                badge = page.locator(".due-reports .badge.report-utkast")
                expect(badge).to_have_text("Utkast")
                for shown in (link, badge):
                    box = shown.bounding_box()
                    assert box is not None and 0 <= box["x"] <= box["x"] + box["width"] <= 390
                sideways[path] = page.evaluate(SIDEWAYS)
                page.screenshot(path=str(tmp_path / f"{len(sideways)}.png"), full_page=True)
            link.click()
            expect(page.get_by_role("heading", name="Utkast", exact=False).first).to_be_visible()
        finally:
            browser.close()
    assert sideways == {"/sammantraden?ar=2018": 0, meeting: 0}


def test_pages_with_long_unbroken_text_do_not_scroll_sideways_on_a_phone(site: Site) -> None:
    """Text without spaces to break at, typed (the nämnd's addresses, a search term) or shown
    as an example of a file's lines (the indicator import's), wraps at 390 px instead of
    widening the page."""
    from playwright.sync_api import expect, sync_playwright

    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        assert plan is not None
        plan.board_recipients = ",".join(
            f"{who}.socialnamndens.sekreterare@kommunledningsforvaltningen.pitea.example"
            for who in ("ordforande", "sekreterare", "registrator")
        )
        s.add(plan)
    report = calendar_pages(site)[-1]
    search = "Handläggningsrutinsuppföljningsdokumentationskvalitetssäkring" * 2
    paths = [report, f"/planer/{site.plan_id}?q={search}", f"/planer/{site.plan_id}/indikatorer"]
    shown = {
        report: ".example, ",
        paths[1]: "Inga åtgärder matchar sökningen",
        paths[2]: "Åtgärd-id;Indikator;Enhet;Datum;Värde",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("heading", name="Att följa upp")).to_be_visible()
            sideways = {}
            for path in paths:
                page.goto(site.base + path)
                sideways[path] = page.evaluate(SIDEWAYS)
                expect(page.get_by_text(shown[path]).first).to_be_visible()
        finally:
            browser.close()
    assert sideways == dict.fromkeys(paths, 0)


def test_the_risk_matrix_reads_on_a_phone_without_the_page_scrolling_sideways(
    site: Site,
) -> None:
    """At 390 px the matrix's labels, numbers and markers are drawn at least as large as the
    page's small print, not shrunk to fit; the page itself does not scroll sideways, and the
    page passes axe-core at that width."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    plan_page = control_plan_pages(site)[-1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # axe-core is injected by the test: the pages' own policy allows no scripts.
            page = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("heading", name="Att följa upp")).to_be_visible()
            page.goto(site.base + plan_page)
            expect(page.get_by_role("img", name="Riskmatris")).to_be_visible()
            smallest = page.evaluate(SMALLEST_MATRIX_TEXT)
            sideways = page.evaluate(SIDEWAYS)
            result = Axe().run(page)
        finally:
            browser.close()
    assert smallest >= 12, f"the matrix's smallest text is drawn at {smallest:.1f} px"
    assert sideways == 0
    assert not result.violations_count, result.generate_snapshot()


# The size, in CSS pixels, at which the risk matrix draws its smallest text: each font size
# of the picture times the scale it is shown at.
SMALLEST_MATRIX_TEXT = """() => {
  const svg = document.querySelector(".matrix svg");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll("text, tspan")]
    .map((t) => parseFloat(getComputedStyle(t).fontSize));
  return Math.min(...sizes) * scale;
}"""


# How far the page reaches beyond the window's width, in CSS pixels: 0 when nothing makes
# it scroll sideways.
SIDEWAYS = """() => Math.max(
  0, document.documentElement.scrollWidth - document.documentElement.clientWidth
)"""


def chef_pages(site: Site) -> list[str]:
    """The chef's pages the accessibility check visits, as a logged-in chef sees them."""
    person = f"/personer/{site.owner_id}"
    return [
        "/start",
        f"/atgarder?plan={site.plan_id}&urval=utan-ansvarig",
        "/personer",
        person,
        f"{person}/roll?roll=board",
        f"{person}/aterkalla-lankar",
        "/paminnelser",
        "/sammantraden",
        meeting_page(site),
        *plan_pages(site),
        *calendar_pages(site),
        "/eskaleringsnivaer",
        absence_page(site),
        "/kommunen",
        *audit_pages(site),
        *control_plan_pages(site),
    ]


def absence_page(site: Site) -> str:
    """The absences, with the chef's own and its button to remove it."""
    with site.app.transaction() as s:
        chef = people.find_person(s, "malin.westling@pitea.example")
        assert chef is not None
        deputy = people.ensure_person(
            s, "dana@pitea.example", now=NOW, name="Dana Ersättare", role=Role.chef
        )
        absences.add_absence(
            s,
            chef,
            chef,
            deputy,
            starts_on=date(2018, 7, 2),
            ends_on=date(2018, 7, 27),
            now=NOW,
            today=NOW.date(),
        )
    return "/franvaro"


def audit_pages(site: Site) -> list[str]:
    """The granskningar, and one with a rekommendation answered by the site's åtgärd, with
    its uppföljning as the HTML document the nämnd is sent."""
    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        assert plan is not None
        audit = audits.create_audit(
            s,
            now=NOW,
            title="Granskning av ledningen",
            auditor="KPMG",
            forvaltning=plan.forvaltning,
        )
        rec = audits.add_recommendation(s, audit, "Tydliggör ansvaret.", "Nämnden instämmer.")
        assert rec.id is not None
        audits.link(s, rec.id, site.action_id)
    page = f"/granskningar/{audit.id}"
    return ["/granskningar", page, f"{page}/uppfoljning.html"]


def control_plan_pages(site: Site) -> list[str]:
    """The internkontrollplaner, and the example plan with its risk matrix and kontrollmoment."""
    example = Path(__file__).resolve().parents[2] / "examples" / "internkontroll-skola.csv"
    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        assert plan is not None
        result = internal_control.import_control_plan(
            s,
            site.app.registry,
            example.read_bytes(),
            example.name,
            namnd="Barn- och utbildningsnämnden",
            year=NOW.year,
            forvaltning=plan.forvaltning,
            now=NOW,
        )
    return ["/internkontroll", f"/internkontroll/{result.plan_id}"]


def calendar_pages(site: Site) -> list[str]:
    """With the plan reporting at its nämnd's meetings: the start page's coming reports, the
    meeting's page with the draft due at it, the plan's settings with them, and a draft with
    each åtgärd marked updated or not."""
    board = "Barn- och utbildningsnämnden"
    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        assert plan is not None
        plan.namnd, plan.report_months = board, "2,6"
        s.add(plan)
        rows = [MeetingRow(board=board, held_on=date(2018, 2, 28), uid="bun-feb@pitea.example")]
        meetings.import_meetings(s, rows, lead_days=21, now=NOW)
        draft = reports.draft_report(
            s,
            site.app.registry,
            site.plan_id,
            as_of=NOW.date(),
            now=NOW,
            tz=site.app.tz,
            draft_days=14,
        )
        meeting = s.exec(select(Meeting).where(Meeting.uid == rows[0].uid)).one()
    return [
        "/start",
        f"/sammantraden/{meeting.id}",
        f"/planer/{site.plan_id}/installningar",
        f"/aterrapporter/{draft.id}",
    ]


def meeting_page(site: Site) -> str:
    """A moved meeting's page, with its forms."""
    with site.app.transaction() as s:
        day = date(2018, 6, 14)
        row = MeetingRow(board="Socialnämnden", held_on=day, uid="sn-juni@pitea.example")
        meetings.import_meetings(s, [row], lead_days=None, now=datetime(2018, 1, 10, tzinfo=UTC))
        meeting = s.exec(select(Meeting).where(Meeting.uid == row.uid)).one()
        meetings.change_meeting(s, meeting, held_on=date(2018, 6, 21))
        return f"/sammantraden/{meeting.id}"


def plan_pages(site: Site) -> list[str]:
    """The plan page searched and sorted (with the bulk owner form), an utvecklingsområde's
    page, and an åtgärd's page with its move and withdraw forms and an indicator's forms, and
    the pages that confirm removing the indicator and its measured value."""
    with site.app.transaction() as s:
        action = s.get(Action, site.action_id)
        assert action is not None
        area_id = action.area_id
        indicator = indicators.add_indicator(
            s, site.action_id, now=NOW, actor=None, name="Andel", unit="%", target_value=85
        )
        value = indicators.record_value(
            s, indicator, now=NOW, actor=None, measured_on=date(2017, 12, 31), value=72.5
        )
    plan = f"/planer/{site.plan_id}"
    measured = f"/atgarder/{site.action_id}/indikatorer/{indicator.id}"
    return [
        plan,
        f"{plan}?q=rutin&sortera=klart&ordning=fallande",
        f"{plan}?q=finns+inte",
        f"{plan}/omraden/{area_id}",
        f"/atgarder/{site.action_id}",
        f"{measured}/ta-bort",
        f"{measured}/matvarden/{value.id}/ta-bort",
    ]


def test_the_chef_s_pages_pass_the_axe_core_accessibility_check(site: Site) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    axe = Axe()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # axe-core is injected by the test: the pages' own policy allows no scripts.
            page = browser.new_page(bypass_csp=True)
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            expect(page.get_by_role("heading", name="Att följa upp")).to_be_visible()
            found = {}
            for path in chef_pages(site):
                response = page.goto(site.base + path)
                assert response is not None and response.status == 200, path
                result = axe.run(page)
                if result.violations_count:
                    found[path] = result.generate_snapshot()
                faint = page.evaluate(FAINT_BUTTONS)
                if faint:
                    found[path] = f"buttons hard to read: {faint}"
        finally:
            browser.close()
    assert not found, found


# Buttons whose text does not stand out from what is behind it (contrast under 4.5:1, as
# WCAG asks of text). axe-core passed a link-styled button in white on white: it counts
# such text as one it cannot judge rather than as a violation.
FAINT_BUTTONS = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const faint = [];
  for (const b of document.querySelectorAll("button")) {
    if (!b.offsetParent || !b.textContent.trim()) continue;
    const [l1, l2] = [lum(rgb(getComputedStyle(b).color).slice(0, 3)), lum(behind(b))];
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) faint.push(`${b.textContent.trim()} (${ratio.toFixed(2)}:1)`);
  }
  return faint;
}"""


def public_pages(site: Site) -> list[str]:
    """The site's plan published with an issued återrapport: the pages anyone reads without a
    log-in, the archived HTML document among them, and the tillgänglighetsredogörelse."""
    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        chef = people.find_person(s, "malin.westling@pitea.example")
        assert plan is not None and chef is not None
        plan.forvaltning, plan.dnr = "Socialförvaltningen", "SN 2017/123"
        plan_settings.set_published(s, plan, True, now=NOW, actor=chef)
        draft = reports.draft_report(
            s,
            site.app.registry,
            site.plan_id,
            as_of=NOW.date(),
            now=NOW,
            tz=site.app.tz,
            draft_days=14,
        )
        assert draft.id is not None
        reports.approve_report(s, site.app.registry, draft.id, chef, now=NOW, tz=site.app.tz)
    plan_page = f"/oppet/planer/{site.plan_id}"
    return [
        "/oppet/planer",
        plan_page,
        f"{plan_page}/aterrapporter/{draft.id}/dokument.html",
        "/tillganglighet",
    ]


def test_the_public_pages_pass_the_axe_core_accessibility_check(site: Site) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    paths = public_pages(site)
    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Nobody logged in, at a desktop's width and a phone's; axe-core is injected by
            # the test, as for the chef's pages.
            for width, height in ((1280, 900), (390, 844)):
                page = browser.new_page(
                    bypass_csp=True, viewport={"width": width, "height": height}
                )
                for path in paths:
                    response = page.goto(site.base + path)
                    assert response is not None and response.status == 200, path
                    result = Axe().run(page)
                    if result.violations_count:
                        found[f"{width}: {path}"] = result.generate_snapshot()
                    faint = page.evaluate(FAINT_BUTTONS)
                    if faint:
                        found[f"{width}: {path}"] = f"buttons hard to read: {faint}"
                # The log-in form refusing a malformed address (past the browser's own check,
                # as a browser without it would send it): the reason is tied to its box.
                page.goto(site.base + "/logga-in")
                page.get_by_label("E-postadress").fill("anna.berg")
                page.locator("form.narrow").evaluate("(form) => { form.noValidate = true; }")
                page.get_by_role("button", name="Skicka inloggningslänk").click()
                box = page.get_by_label("E-postadress")
                expect(box).to_have_attribute("aria-invalid", "true")
                expect(box).to_have_accessible_description(re.compile("giltig e-postadress"))
                result = Axe().run(page)
                if result.violations_count:
                    found[f"{width}: refused log-in"] = result.generate_snapshot()
                page.goto(site.base + paths[1])
                expect(page.get_by_text("Ansvarig: Socialförvaltningen")).to_be_visible()
                expect(page.get_by_text("Anna Berg")).to_have_count(0)
                page.keyboard.press("Tab")
                expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
                page.get_by_role("link", name="Tillgänglighetsredogörelse").click()
                heading = page.get_by_role("heading", name="Tillgänglighet för Åtgärdsplaner")
                expect(heading).to_be_visible()
                page.close()
        finally:
            browser.close()
    assert not found, found


def test_a_chef_searches_assigns_many_and_withdraws_without_javascript(site: Site) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    reason = "Stickproven görs av revisionen i stället."
    plan = f"{site.base}/planer/{site.plan_id}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(site.chef_login_url)
            page.get_by_role("button", name="Logga in").click()
            page.goto(plan)
            page.get_by_label("Sök", exact=True).fill("kvartal")
            page.get_by_label("Sortera efter").select_option(label="Klart till")
            page.get_by_role("button", name="Visa", exact=True).click()
            assert page.url == f"{plan}?q=kvartal&lage=&ansvarig=&sortera=klart&ordning="
            expect(page.get_by_role("link", name="Ta fram rutin för handläggning")).to_have_count(0)
            page.get_by_role("checkbox", name="Välj åtgärd").check()
            page.get_by_label("Befintlig person").select_option(
                label="Anna Berg (anna.berg@pitea.example)"
            )
            page.get_by_role("button", name="Tilldela de valda åtgärderna").click()
            expect(
                page.get_by_text("Anna Berg (anna.berg@pitea.example) är nu ansvarig för 1 åtgärd.")
            ).to_be_visible()
            # Back on the same view: the search and the sort are kept.
            assert page.url == f"{plan}?q=kvartal&sortera=klart"
            page.get_by_role("link", name="Stickprov varje kvartal").click()
            page.get_by_label("Låt utgå: Varför utgår åtgärden?").fill(reason)
            page.get_by_role("button", name="Låt utgå").click()
            expect(page.get_by_text("Sparat: Ej påbörjat → Utgår.")).to_be_visible()
            withdrawn = page.url
            page.goto(plan)
            expect(page.get_by_text(reason)).to_be_visible()
            # The pages in these states pass axe too (it runs as a script, so in a context
            # of its own with the same log-in).
            checked = browser.new_context(bypass_csp=True)
            checked.add_cookies(context.cookies())
            axe_page = checked.new_page()
            found = {}
            for url in (plan, withdrawn, f"{plan}?sortera=lage"):
                axe_page.goto(url)
                result = Axe().run(axe_page)
                if result.violations_count:
                    found[url] = result.generate_snapshot()
                faint = axe_page.evaluate(FAINT_BUTTONS)
                if faint:
                    found[url] = f"buttons hard to read: {faint}"
        finally:
            browser.close()
    assert not found, found
    with site.app.transaction() as s:
        history = {
            e.trigger for a in s.exec(select(Action)).all() for e in actions.history(s, a.id or 0)
        }
    assert {"tilldelad", "utga"} <= history


# Words in the återrapport's plan table that the browser broke across lines, or that are wider
# than their cell: a word's box on more than one line, or past its cell's right edge.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("table.plan-table th, table.plan-table td")) {
    const edge = cell.getBoundingClientRect().right + 0.5;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.offsetParent) continue;  // hidden, as a repeated area title
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const lines = new Set(rects.map((r) => Math.round(r.top)));
        if (lines.size > 1 || rects.some((r) => r.right > edge)) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_the_html_report_reads_on_a_phone_without_words_broken_or_sideways_scrolling(
    site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with site.app.transaction() as s:
        plan = s.get(Plan, site.plan_id)
        assert plan is not None
        plans.add_action(
            s,
            site.app.registry,
            plans.ensure_area(s, plan, "Uppföljning och utvärdering av verksamheten"),
            now=NOW,
            text="Sammanställa brukarundersökningens resultat för förvaltningsledningen",
            tidsplan="Påbörjas september 2018. Klart i december 2018. Utvärderas januari 2019.",
            due_on=date(2018, 12, 31),
        )
    document = public_pages(site)[2]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            response = page.goto(site.base + document)
            assert response is not None and response.status == 200
            page.screenshot(path=str(tmp_path / "aterrapport-telefon.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.evaluate(BROKEN_WORDS) == []
            # Each cell says which column it is, as the table's head is not above it.
            labels = page.locator("table.plan-table tr.action td").evaluate_all(
                "cells => cells.map((c) => getComputedStyle(c, '::before').content)"
            )
            assert set(labels) == {'"Åtgärd"', '"Tidsplan"', '"Processläge"'}
        finally:
            browser.close()
