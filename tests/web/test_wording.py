"""What the pages say: counts that agree with their number, receipts and history in the past
tense, who had an åtgärd before, the menu on a missing page, and the log-out."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, owner_path, text_of
from tracker.app import App
from tracker.services import actions, plans
from tracker.web.routes import plans as plans_routes


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def plan_summary(client: TestClient, plan_id: int) -> str:
    words = text_of(client.get(f"/planer/{plan_id}").text)
    found = re.search(r"\b\d+ åtgärd(er)?(, \d+ försenade?)? ?\.", words)
    assert found, words
    return found.group(0).replace(" .", ".")  # the space where </strong> was


def test_the_plan_page_counts_agree_with_their_numbers(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    assert plan_summary(chef_client, world.plan_id) == "3 åtgärder."
    clock.advance(days=60)  # past b1's due date
    log_in(chef_client, app, world.chef, clock())  # the log-in has ended by then
    assert plan_summary(chef_client, world.plan_id) == "3 åtgärder, 1 försenad."
    clock.advance(days=40)  # past a1's too
    log_in(chef_client, app, world.chef, clock())
    assert plan_summary(chef_client, world.plan_id) == "3 åtgärder, 2 försenade."
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=clock(), title="Liten plan", forvaltning="Utbildningsförvaltningen"
        )
        area = plans.ensure_area(s, plan, "Ett område")
        plans.add_action(s, app.registry, area, now=clock(), text="Enda", due_on=date(2018, 1, 1))
        small = plan.id
    assert small is not None
    assert plan_summary(chef_client, small) == "1 åtgärd, 1 försenad."
    filtered = chef_client.get(f"/planer/{small}?forsenad=1").text
    assert "Visar 1 av 1 åtgärd." in text_of(filtered)


def owner_update(
    client: TestClient, app: App, world: World, clock: MovableClock, **data: str
) -> str:
    page = client.get(owner_path(app, world.anna, clock()))
    form = form_to(page.text, f"/atgard/{world.a1}")
    done = client.post(form.action, data=form.data(**data))
    assert done.status_code == 200, done.text
    return text_of(done.text)


def receipt_heading(words: str) -> str:
    """The receipt's heading: what comes after the skip link, before the thanks."""
    return words.split("Hoppa till innehållet Åtgärdsplaner ")[1].split(" Tack,")[0]


def test_the_owner_s_receipt_says_what_happened_in_the_past_tense(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    note = owner_update(client, app, world, clock, trigger="", text="Rutinen skrivs.")
    assert receipt_heading(note) == "Processläge sparat"
    started = owner_update(client, app, world, clock, trigger="starta", text="Vi har börjat.")
    assert receipt_heading(started) == "Startad"
    assert "Ej påbörjat → Pågår" in started
    done = owner_update(client, app, world, clock, trigger="slutfor", text="Rutinen är klar.")
    assert receipt_heading(done) == "Slutförd"


def test_the_history_is_in_the_past_tense_and_names_the_previous_owner(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock(), text="Igång.")
        actions.move(s, app.registry, world.a1, "slutfor", world.anna, now=clock(), text="Klar.")
        actions.move(s, app.registry, world.a1, "utvardera", world.chef, now=clock(), text="Bra.")
        actions.assign(s, world.a1, world.bo, now=clock(), actor=world.chef)
    words = text_of(chef_client.get(f"/atgarder/{world.a1}").text)
    for label in ("Startad", "Slutförd", "Utvärderad"):
        assert f"{label} :" in words, label  # <strong>label</strong>: ...
    assert (
        "Ansvarig ändrad från Anna Berg <anna.berg@pitea.example> "
        "till Bo Lind <bo.lind@pitea.example>"
    ) in words


def test_a_first_owner_is_named_without_a_previous_one(
    app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Ekonomiskt bistånd")
        new = plans.add_action(s, app.registry, area, now=clock(), text="Utan ansvarig")
        assert new.id is not None
        change = actions.assign(s, new.id, world.bo, now=clock())
    assert change.text == "Ansvarig: Bo Lind <bo.lind@pitea.example>"


def test_a_logged_in_chef_keeps_the_menu_on_a_missing_page(
    chef_client: TestClient, client: TestClient
) -> None:
    page = chef_client.get("/finns-inte")
    assert page.status_code == 404
    words = text_of(page.text)
    assert "Sidan finns inte" in words
    assert 'aria-label="Huvudmeny"' in page.text and "Logga ut" in words
    assert "till planerna" in words


def test_an_anonymous_visitor_gets_a_missing_page_without_the_menu(client: TestClient) -> None:
    page = client.get("/finns-inte")
    assert page.status_code == 404 and 'aria-label="Huvudmeny"' not in page.text


def test_logging_out_from_a_missing_page_says_you_are_logged_out(
    chef_client: TestClient,
) -> None:
    form = form_to(chef_client.get("/finns-inte").text, "/logga-ut")
    after = chef_client.post(form.action, data=form.data())
    assert after.status_code == 200 and after.url.path == "/logga-in"
    assert "Du är utloggad." in text_of(after.text)
    assert 'aria-label="Huvudmeny"' not in after.text


def test_a_fault_in_the_code_is_a_page_in_swedish_with_the_menu(
    web: FastAPI,
    app: App,
    world: World,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("ett fel i koden")

    # A bug in what a page calls. (That its transaction is rolled back is shown for the
    # PDF engine's failure in test_reports_pages.py: the same session dependency.)
    monkeypatch.setattr(plans_routes.plan_service, "summarise_plans", broken)
    with TestClient(web, raise_server_exceptions=False) as client:
        log_in(client, app, world.chef, clock())
        page = client.get("/planer")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    said = text_of(page.text)
    assert "Något gick fel" in said and "ingenting ändrades" in said, said
    assert "Internal Server Error" not in page.text and "Traceback" not in page.text
    # The menu is there: the chef can go on from the page.
    assert 'href="/planer"' in page.text
    assert any("ett fel i koden" in str(r.exc_info) for r in caplog.records if r.exc_info)


def _kinds(app: App, world: World, clock: MovableClock) -> tuple[int, int]:
    """A kontroll for Anna and a decision without an owner, in the plan beside its åtgärder."""
    with app.transaction() as s:
        plan = plans.get_plan(s, world.plan_id)
        control = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plan, "Kontroller"),
            now=clock(),
            workflow="kontroll",
            owner=world.anna,
            text="Kontroll av delegationsbeslut",
        )
        decision = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plan, "Beslut"),
            now=clock(),
            workflow="protokoll",
            owner=None,
            text="Besked om lokalerna",
        )
        assert control.id is not None and decision.id is not None
        return control.id, decision.id


def test_none_of_a_mix_of_kinds_is_said_with_eller(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """ "Inga åtgärder, kontroller eller beslut ännu": a negative over several kinds joins them
    with eller, on the plan page and its public page; a count still joins them with och."""
    _kinds(app, world, clock)
    with app.transaction() as s:
        plan = plans.get_plan(s, world.plan_id)
        plans.ensure_area(s, plan, "Tomt område")
        plan.published = True
    words = text_of(chef_client.get(f"/planer/{world.plan_id}").text)
    assert "Tomt område Inga åtgärder, kontroller eller beslut ännu." in words
    none = text_of(chef_client.get(f"/planer/{world.plan_id}?q=simhall").text)
    assert "Inga åtgärder, kontroller eller beslut matchar sökningen ”simhall”." in none
    some = text_of(chef_client.get(f"/planer/{world.plan_id}?q=Besked").text)
    assert "Visar 1 av 5 åtgärder, kontroller och beslut." in some
    public = text_of(TestClient(chef_client.app).get(f"/oppet/planer/{world.plan_id}").text)
    assert "Tomt område Inga åtgärder, kontroller eller beslut ännu." in public


def test_an_area_and_a_start_list_name_their_items_by_the_nouns(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """An area of decisions lists "Beslut"; an empty one of a mixed plan has "Inga åtgärder,
    kontroller eller beslut ännu"; the start page's list of items without an owner heads
    its column "Beslut" when they are decisions. Åtgärder read as before."""
    ordinary = text_of(chef_client.get(f"/planer/{world.plan_id}/omraden/{world.area_id}").text)
    assert "Åtgärder Ta fram rutin för handläggning" in ordinary
    _kinds(app, world, clock)
    with app.transaction() as s:
        plan = plans.get_plan(s, world.plan_id)
        decided = plans.ensure_area(s, plan, "Beslut").id
        empty = plans.ensure_area(s, plan, "Tomt område").id
    area = text_of(chef_client.get(f"/planer/{world.plan_id}/omraden/{decided}").text)
    assert "Beslut Besked om lokalerna Tilldelad" in area
    words = text_of(chef_client.get(f"/planer/{world.plan_id}/omraden/{empty}").text)
    assert "Åtgärder, kontroller och beslut Inga åtgärder, kontroller eller beslut ännu." in (words)
    page = chef_client.get(f"/atgarder?plan={world.plan_id}&urval=utan-ansvarig").text
    assert '<th scope="col">Beslut</th>' in page and 'data-label="Beslut"' in page
    assert 'data-label="Åtgärd"' not in page


def test_the_people_pages_count_open_items_by_their_nouns(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """Someone who owns a kontroll beside åtgärder has "Öppna åtgärder och kontroller"; with
    åtgärder alone the pages read as before."""
    people = text_of(chef_client.get("/personer").text)
    assert "Öppna åtgärder är de som inte är klara." in people
    assert "Roll Öppna åtgärder Försenade" in people
    anna = f"/personer/{world.anna.id}"
    assert "Öppna åtgärder 2 Försenade" in text_of(chef_client.get(anna).text)
    _kinds(app, world, clock)
    people = text_of(chef_client.get("/personer").text)
    assert "Öppna åtgärder och kontroller är de som inte är klara." in people
    assert "Roll Öppna åtgärder och kontroller Försenade" in people
    assert "Öppna åtgärder och kontroller 3 Försenade" in text_of(chef_client.get(anna).text)
    bo = text_of(chef_client.get(f"/personer/{world.bo.id}").text)
    assert "Öppna åtgärder 1 Försenade" in bo


def test_the_chefs_pages_call_a_kontroll_and_a_decision_by_their_own_nouns(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    control, decision = _kinds(app, world, clock)
    page = text_of(chef_client.get(f"/atgarder/{control}").text)
    assert "personlig länk till kontrollen." in page
    assert "Flytta kontrollen till" in page
    assert "Kontrollen hamnar sist i det valda området." in page
    assert "Ändra kontroll och datum Kontroll " in page
    page = text_of(chef_client.get(f"/atgarder/{decision}").text)
    assert "Flytta beslutet till" in page
    assert "Ändra beslut och datum Beslut " in page
    assert "Ändra åtgärd och datum Åtgärd " in text_of(
        chef_client.get(f"/atgarder/{world.a1}").text
    )

    # The plan list's column and the kommun's overview count all three kinds.
    listed = chef_client.get("/planer").text
    assert '<th scope="col" class="num">Åtgärder, kontroller och beslut</th>' in listed
    overview = text_of(chef_client.get("/kommunen").text)
    assert "Åtgärder, kontroller och beslut som inte är klara" in overview

    # The start page's numbers lead to them, and a list of one kind counts and names it.
    start = text_of(chef_client.get("/start").text)
    assert "Varje siffra leder till åtgärderna, kontrollerna och besluten bakom den." in start
    unowned = text_of(chef_client.get(f"/atgarder?plan={world.plan_id}&urval=utan-ansvarig").text)
    assert "Beslut som inte är klara och inte har någon ansvarig." in unowned
    assert f"1 beslut i {plans_title(app, world)}." in unowned


def plans_title(app: App, world: World) -> str:
    with app.transaction() as s:
        return plans.get_plan(s, world.plan_id).title


def plan_caption(client: TestClient, plan_id: int) -> str:
    found = re.search(
        r'<caption class="visually-hidden">([^<]*)</caption>', client.get(f"/planer/{plan_id}").text
    )
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("workflow", "caption"),
    [
        ("protokoll", "Utvecklingsområden och beslut"),
        ("kontroll", "Utvecklingsområden och kontroller"),
    ],
)
def test_a_plan_of_decisions_or_kontroller_alone_names_its_table_by_them(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    workflow: str,
    caption: str,
) -> None:
    """What a screen reader reads out for the plan's table: a protokoll's beslut are not
    åtgärder; an ordinary plan, and an empty one, keep "Utvecklingsområden och åtgärder"."""
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=clock(), title="Nämndens beslut", forvaltning="Utbildningsförvaltningen"
        )
        empty = plans.create_plan(
            s, now=clock(), title="Tom plan", forvaltning="Utbildningsförvaltningen"
        )
        plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plan, "Sammanträdet 14 juni"),
            now=clock(),
            workflow=workflow,
            owner=None,
            text="Besked om lokalerna",
        )
        only, nothing = plan.id, empty.id
    assert only is not None and nothing is not None
    assert plan_caption(chef_client, only) == caption
    assert plan_caption(chef_client, world.plan_id) == "Utvecklingsområden och åtgärder"
    assert plan_caption(chef_client, nothing) == "Utvecklingsområden och åtgärder"
    _kinds(app, world, clock)
    assert plan_caption(chef_client, world.plan_id) == (
        "Utvecklingsområden, åtgärder, kontroller och beslut"
    )


def item_header(html: str, first: str) -> str:
    """The header of the column after `first`: the one that names each item."""
    found = re.search(rf'<th scope="col">{first}</th>\s*<th scope="col">([^<]*)</th>', html)
    assert found, html
    return found.group(1)


def test_the_plan_page_and_the_overview_head_their_items_column_by_the_nouns(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A plan of a nämnd's decisions heads its column "Beslut", says so of an empty area and
    of the ticked ones; a plan of several kinds heads it with each noun; an ordinary plan
    and the kommun's overview of åtgärder read as before."""
    assert item_header(chef_client.get("/kommunen").text, "Sedan") == "Åtgärd"
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=clock(), title="Nämndens beslut", forvaltning="Utbildningsförvaltningen"
        )
        area = plans.ensure_area(s, plan, "Sammanträdet 14 juni")
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
        plans.ensure_area(s, plan, "Sammanträdet 20 augusti")
        decisions = plan.id
    assert decisions is not None

    page = chef_client.get(f"/planer/{decisions}").text
    words = text_of(page)
    assert item_header(page, "Utvecklingsområde") == "Beslut"
    assert 'data-label="Beslut"' in page and 'data-label="Åtgärd"' not in page
    assert "Sammanträdet 20 augusti Inga beslut ännu." in words
    assert "Ge de valda besluten en ansvarig Kryssa i besluten i tabellen ovan." in words
    assert "e-postmeddelande med alla besluten och en personlig länk." in words
    assert "Tilldela de valda besluten" in words
    late = text_of(chef_client.get(f"/planer/{decisions}?forsenad=1").text)
    assert "Visar 1 av 2 beslut." in late
    none = text_of(chef_client.get(f"/planer/{decisions}?forsenad=1&q=simhall").text)
    assert "Inga beslut matchar sökningen ”simhall”." in none

    ordinary = chef_client.get(f"/planer/{world.plan_id}").text
    assert item_header(ordinary, "Utvecklingsområde") == "Åtgärd"
    assert "Ge de valda åtgärderna en ansvarig Kryssa i åtgärderna i tabellen ovan." in (
        text_of(ordinary)
    )
    assert "Tilldela de valda åtgärderna" in text_of(ordinary)
    assert "Inga åtgärder matchar." in text_of(
        chef_client.get(f"/planer/{world.plan_id}?forsenad=1").text
    )
    assert item_header(chef_client.get("/kommunen").text, "Sedan") == "Åtgärd / beslut"

    _kinds(app, world, clock)
    mixed = chef_client.get(f"/planer/{world.plan_id}").text
    assert item_header(mixed, "Utvecklingsområde") == "Åtgärd / kontroll / beslut"
    assert "Kryssa i åtgärderna, kontrollerna och besluten i tabellen ovan." in text_of(mixed)
    assert item_header(chef_client.get("/kommunen").text, "Sedan") == ("Åtgärd / kontroll / beslut")
