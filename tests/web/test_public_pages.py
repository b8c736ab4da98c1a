"""Publishing a plan openly: the chef's choice on the settings page and on the command line,
in the plan's history; the public pages without a log-in, which never name a person, never
show a draft and answer an unpublished plan as an unknown one; and the
tillgänglighetsredogörelse linked from every page."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import (
    MovableClock,
    form_to,
    log_in,
    owner_path,
    refuse_for_good,
    retry_and_deliver,
    text_of,
)
from tests.web.test_reports_pages import approve_form, draft, set_recipients
from tracker.app import App
from tracker.cli import cli
from tracker.models import Person, Plan, PlanEvent, Report, ReportFile
from tracker.services import actions, plan_settings, plans, reports
from tracker.web.main import create_app

NOTE = "Pågår enligt tidsplan. Rutinen skrivs tillsammans med handläggarna."
SOCIAL = "Socialförvaltningen"
# Where a public page may lead: other public pages, the log-in, the statement, DIGG's form.
PUBLIC_LINK = re.compile(
    r"^(/oppet/planer(/\d+(/aterrapporter/\d+/dokument\.(html|pdf|docx))?)?|/logga-in"
    r"|/tillganglighet|/static/style\.css|#[a-z-]+|https://www\.digg\.se/tdosanmalan)$"
)


@pytest.fixture
def public(web: FastAPI) -> TestClient:
    """Someone who has never logged in."""
    return TestClient(web)


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


@pytest.fixture
def filled(app: App, world: World, clock: MovableClock) -> World:
    """The world's plan with a processläge written, an owner of another förvaltning and an
    åtgärd nobody owns yet."""
    with app.transaction() as s:
        bo = s.get(Person, world.bo.id)
        assert bo is not None
        bo.forvaltning = SOCIAL
        s.add(bo)
        actions.report_progress(
            s,
            app.registry,
            world.a1,
            world.anna,
            trigger="starta",
            text=NOTE,
            now=clock(),
            expected_version=1,
            only_roles={"owner"},
        )
        plan = plans.get_plan(s, world.plan_id)
        area = plans.ensure_area(s, plan, "Uppföljning")
        plans.add_action(s, app.registry, area, now=clock(), text="Följ upp rutinen i nämnden")
    return world


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


def history_of(app: App, plan_id: int) -> list[tuple[str, str, str, int | None]]:
    with app.transaction() as s:
        rows = s.exec(
            select(PlanEvent).where(PlanEvent.plan_id == plan_id).order_by(col(PlanEvent.id))
        ).all()
        return [(e.field, e.old, e.new, e.actor_id) for e in rows]


def published(app: App, plan_id: int) -> bool:
    with app.transaction() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        return plan.published


def publish_on_settings(client: TestClient, plan_id: int, button: str) -> str:
    page = client.get(f"/planer/{plan_id}/installningar")
    form = form_to(page.text, "/publicering")
    assert button in text_of(page.text)
    done = client.post(form.action, data=form.data())
    assert done.status_code == 200, done.text
    assert done.url.path == f"/planer/{plan_id}/installningar"
    return text_of(done.text)


def test_a_chef_publishes_a_plan_anyone_reads_it_without_names_and_unpublishes_it(
    chef_client: TestClient, public: TestClient, app: App, filled: World
) -> None:
    world = filled
    plan_url = f"/oppet/planer/{world.plan_id}"
    unknown = public.get("/oppet/planer/999999")
    assert unknown.status_code == 404
    before = public.get(plan_url)
    # Unpublished and unknown are the same page: the public cannot probe which plans exist.
    assert (before.status_code, before.text) == (404, unknown.text)
    assert "Åtgärdsplan efter granskning" not in public.get("/oppet/planer").text
    assert published(app, world.plan_id) is False

    shown = publish_on_settings(chef_client, world.plan_id, "Publicera planen öppet")
    assert "Planen är publicerad öppet" in shown
    assert published(app, world.plan_id) is True
    assert history_of(app, world.plan_id) == [("published", "nej", "ja", world.chef.id)]
    assert "Öppen publicering: nej → ja" in shown  # the history on the settings page

    listing = public.get("/oppet/planer")
    assert listing.status_code == 200
    assert f'href="{plan_url}"' in listing.text
    page = public.get(plan_url)
    assert page.status_code == 200
    html, words = page.text, text_of(page.text)
    for expected in (
        "Åtgärdsplan efter granskning av ekonomiskt bistånd",
        "Dnr SN 2017/123",
        "Ekonomiskt bistånd",
        "Intern kontroll",
        "Ta fram rutin för handläggning",
        "Klart till mars 2018. Utvärderas oktober 2018.",
        "Klart till 2018-03-31. Utvärderas 2018-10-31.",
        "Pågår",
        NOTE,
        "Ansvarig: Utbildningsförvaltningen",  # Anna has no förvaltning: the plan's
        f"Ansvarig: {SOCIAL}",  # Bo's own
        "Ingen ansvarig utsedd",
        "Följ upp rutinen i nämnden",
        "4 åtgärder",
    ):
        assert expected in words, expected
    for person in (world.anna, world.bo, world.chef):
        for secret in (person.name, person.email, person.email.split("@")[0]):
            assert secret not in html
            assert secret.lower() not in html.lower()
    assert "@" not in html
    # No log-in, no cookie, no form; the product's security headers as on every page.
    assert "<form" not in html and "csrf" not in html
    assert "set-cookie" not in page.headers
    assert "default-src" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert [h for h in hrefs(html) + hrefs(listing.text) if not PUBLIC_LINK.match(h)] == []

    shown = publish_on_settings(chef_client, world.plan_id, "Avpublicera planen")
    assert "Planen är inte längre publicerad öppet." in shown
    assert history_of(app, world.plan_id)[-1] == ("published", "ja", "nej", world.chef.id)
    after = public.get(plan_url)
    assert (after.status_code, after.text) == (404, unknown.text)
    assert f'href="{plan_url}"' not in public.get("/oppet/planer").text


def test_a_publishing_form_with_no_choice_is_refused_and_changes_nothing(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = chef_client.get(f"/planer/{world.plan_id}/installningar")
    form = form_to(page.text, "/publicering")
    done = chef_client.post(form.action, data=form.data(publicera="kanske"))
    assert done.status_code == 422
    assert "Välj om planen ska publiceras öppet eller inte." in text_of(done.text)
    assert published(app, world.plan_id) is False
    assert history_of(app, world.plan_id) == []


def issue(app: App, world: World, clock: MovableClock, as_of: date) -> int:
    with app.transaction() as s:
        draft = reports.draft_report(
            s,
            app.registry,
            world.plan_id,
            as_of=as_of,
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
        assert draft.id is not None
        reports.approve_report(s, app.registry, draft.id, world.chef, now=clock(), tz=app.tz)
        return draft.id


def test_issued_reports_download_from_the_public_page_and_drafts_never_show(
    public: TestClient, app: App, filled: World, clock: MovableClock
) -> None:
    world = filled
    issued = issue(app, world, clock, date(2018, 1, 10))
    clock.advance(days=1)  # the next report's draft: a later läge
    with app.transaction() as s:
        draft = reports.draft_report(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2018, 1, 11),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
        other = plans.create_plan(s, now=clock(), title="En annan plan", published=True)
        plan = plans.get_plan(s, world.plan_id)
        plan_settings.set_published(s, plan, True, now=clock(), actor=world.chef)
        stored = {
            f.format: (f.data, f.sha256)
            for f in s.exec(select(ReportFile).where(ReportFile.report_id == issued)).all()
        }
        assert draft.id is not None and other.id is not None
        draft_id, other_id = draft.id, other.id
    assert set(stored) == {"html", "pdf", "docx"}

    page = public.get(f"/oppet/planer/{world.plan_id}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Nr 1" in words
    assert "Utkast" not in words and f"/aterrapporter/{draft_id}/" not in page.text
    base = f"/oppet/planer/{world.plan_id}/aterrapporter"
    for fmt, (data, sha) in stored.items():
        url = f"{base}/{issued}/dokument.{fmt}"
        assert f'href="{url}"' in page.text
        assert sha[:12] in page.text
        got = public.get(url)
        assert got.status_code == 200, (fmt, got.text)
        assert got.content == data
        assert hashlib.sha256(got.content).hexdigest() == sha
        assert "set-cookie" not in got.headers
    html = public.get(f"{base}/{issued}/dokument.html")
    assert html.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in html.headers["content-security-policy"]
    assert public.get(f"{base}/{issued}/dokument.pdf").content.startswith(b"%PDF")

    not_found = public.get("/oppet/planer/999999").text
    for url in (
        f"{base}/{draft_id}/dokument.pdf",  # a draft
        f"{base}/{draft_id}/dokument.html",
        f"/oppet/planer/{other_id}/aterrapporter/{issued}/dokument.pdf",  # another plan's
        f"{base}/{issued}/dokument.txt",
        f"{base}/999999/dokument.pdf",
    ):
        got = public.get(url)
        assert (got.status_code, got.text) == (404, not_found), url

    with app.transaction() as s:
        plan = plans.get_plan(s, world.plan_id)
        plan_settings.set_published(s, plan, False, now=clock(), actor=world.chef)
    gone = public.get(f"{base}/{issued}/dokument.pdf")
    assert (gone.status_code, gone.text) == (404, not_found)
    with app.transaction() as s:
        assert s.get(Report, issued) is not None  # still the public record it was


def test_the_command_line_publishes_and_unpublishes_into_the_history(
    app: App, db_url: str, world: World, public: TestClient
) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--database", db_url, "plan", "set", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert run(str(world.plan_id), "--publicera") == "Öppen publicering: nej → ja\n"
    assert public.get(f"/oppet/planer/{world.plan_id}").status_code == 200
    assert run(str(world.plan_id), "--publicera") == "Inget ändrades.\n"
    assert run(str(world.plan_id), "--avpublicera") == "Öppen publicering: ja → nej\n"
    assert public.get(f"/oppet/planer/{world.plan_id}").status_code == 404
    with app.transaction() as s:
        events = s.exec(select(PlanEvent).where(PlanEvent.plan_id == world.plan_id)).all()
        assert [(e.field, e.new, e.actor_label) for e in events] == [
            ("published", "ja", "kommandoraden"),
            ("published", "nej", "kommandoraden"),
        ]


def test_the_accessibility_statement_is_linked_from_every_kind_of_page(
    app: App, world: World, clock: MovableClock, public: TestClient, chef_client: TestClient
) -> None:
    own = app.settings.model_copy(
        update={
            "accessibility_contact": "Ring kontaktcenter på 0911-69 60 00.",
            "accessibility_reviewed_on": date(2027, 3, 1),
        }
    )
    with TestClient(create_app(App(own, app.engine, app.registry), clock=clock)) as reader:
        statement = reader.get("/tillganglighet")
    assert statement.status_code == 200
    words = text_of(statement.text)
    for expected in (
        "lagen (2018:1937) om tillgänglighet till digital offentlig service",
        "WCAG 2.1 på nivå AA",
        "delvis förenlig",
        "Ring kontaktcenter på 0911-69 60 00.",
        "Myndigheten för digital förvaltning (DIGG)",
        "axe-core",
        "Redogörelsen granskades senast den 2027-03-01.",
    ):
        assert expected in words, expected
    assert 'href="https://www.digg.se/tdosanmalan"' in statement.text
    assert "<form" not in statement.text and "set-cookie" not in statement.headers

    default = text_of(public.get("/tillganglighet").text)
    assert app.settings.accessibility_contact in default
    assert "Redogörelsen granskades senast den 2026-12-07." in default

    footer = '<a href="/tillganglighet">Tillgänglighetsredogörelse</a>'
    pages = [
        public.get("/oppet/planer"),
        public.get("/oppet/planer/999999"),
        public.get("/logga-in"),
        public.get(owner_path(app, world.anna, clock())),
        chef_client.get("/start"),
        chef_client.get(f"/planer/{world.plan_id}/installningar"),
    ]
    for got in pages:
        assert footer in got.text, urlsplit(str(got.url)).path


def test_the_public_page_calls_a_report_sent_only_once_the_outbox_delivered_it(
    chef_client: TestClient,
    public: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    approve = approve_form(chef_client, report_id)
    chef_client.post(approve.action, data=approve.data())
    publish_on_settings(chef_client, world.plan_id, "Publicera planen")

    def row() -> str:
        words = text_of(public.get(f"/oppet/planer/{world.plan_id}").text)
        found = re.search(r"Nr 1 .*?(?= HTML| PDF| DOCX)", words)
        assert found, words
        return found.group(0)

    # Queued, not sent: as the chef's own page says it.
    assert row() == "Nr 1 2018-01-10 Godkänd, i utkorgen 2018-01-10 10:00 –"
    refuse_for_good(app, smtp_server, clock, "sekreterare@pitea.example")
    assert row() == "Nr 1 2018-01-10 Godkänd, utskicket misslyckades 2018-01-10 10:00 –"
    retry_and_deliver(app, smtp_server, clock, "sekreterare@pitea.example")
    assert row() == "Nr 1 2018-01-10 Skickad 2018-01-10 10:00 2018-01-10 10:15"


def _public_table(html: str) -> tuple[str, str]:
    """The plan table's caption and the header of the column that names each item."""
    caption = re.search(r'<table class="plan">\s*<caption[^>]*>([^<]*)</caption>', html)
    header = re.search(
        r'<th scope="col">Utvecklingsområde</th>\s*<th scope="col">([^<]*)</th>', html
    )
    assert caption and header, html
    return caption.group(1), header.group(1)


def test_the_public_pages_name_decisions_and_kontroller_by_their_own_nouns(
    public: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A published plan of a nämnd's decisions is not a plan of åtgärder: its count, its
    table and its column say "beslut"; a plan of several kinds names each; an ordinary plan
    reads as before."""
    with app.transaction() as s:
        board = plans.create_plan(
            s, now=clock(), title="Nämndens beslut 2018", forvaltning="Utbildningsförvaltningen"
        )
        board.published = True
        area = plans.ensure_area(s, board, "Sammanträdet 14 juni")
        for text, due in (("Besked om lokalerna", date(2018, 1, 1)), ("Ny skolskjuts", None)):
            plans.add_action(
                s,
                app.registry,
                area,
                now=clock(),
                workflow="protokoll",
                owner=None,
                text=text,
                due_on=due,
            )
        plans.ensure_area(s, board, "Sammanträdet 20 augusti")  # nothing decided yet
        plans.get_plan(s, world.plan_id).published = True
        board_id = board.id
    assert board_id is not None

    html = public.get(f"/oppet/planer/{board_id}").text
    words = text_of(html).replace(" ,", ",")  # the space where </strong> was
    assert "2 beslut, 1 försenat, läget den" in words
    assert _public_table(html) == (
        "Utvecklingsområden och beslut med tidsplan och processläge",
        "Beslut",
    )
    assert 'data-label="Beslut"' in html and 'data-label="Åtgärd"' not in html
    assert "Sammanträdet 20 augusti Inga beslut ännu." in words
    assert (
        "Processläget är skrivet av de ansvariga för beslutet. Läget och om ett beslut är "
        "försenat visar"
    ) in words
    assert "åtgärd" not in words.replace("Åtgärdsplaner", "")

    ordinary = public.get(f"/oppet/planer/{world.plan_id}").text
    assert "3 åtgärder, läget den" in text_of(ordinary).replace(" ,", ",")
    assert _public_table(ordinary) == (
        "Utvecklingsområden och åtgärder med tidsplan och processläge",
        "Åtgärd",
    )
    assert (
        "Processläget är skrivet av de ansvariga för åtgärden. Läget och om en åtgärd är "
        "försenad visar tjänsten utifrån tidsplanen."
    ) in text_of(ordinary)
    listed = public.get("/oppet/planer").text
    assert '<th scope="col" class="num">Åtgärder och beslut</th>' in listed
    assert (
        "Publicerade åtgärdsplaner med förvaltning, nämnd och antal åtgärder och beslut" in listed
    )

    with app.transaction() as s:
        plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Kontroller"),
            now=clock(),
            workflow="kontroll",
            owner=world.anna,
            text="Kontroll av delegationsbeslut",
        )
    mixed = public.get(f"/oppet/planer/{world.plan_id}").text
    assert "3 åtgärder och 1 kontroll, läget den" in text_of(mixed).replace(" ,", ",")
    assert _public_table(mixed) == (
        "Utvecklingsområden, åtgärder och kontroller med tidsplan och processläge",
        "Åtgärd / kontroll",
    )
    assert "Processläget är skrivet av de ansvariga. Läget och om något är försenat visar" in (
        text_of(mixed)
    )
