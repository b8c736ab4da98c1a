"""The plan page as a förvaltningschef uses it: search and sort in the address, many åtgärder
given one owner at once (an event each, one e-mail per owner), moving an åtgärd to another
utvecklingsområde, editing an utvecklingsområde, and withdrawing an åtgärd ("Utgår")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, forms, log_in, text_of
from tracker.app import App
from tracker.models import Action, ActionEvent, Area, AreaEvent, OutboxMessage, Person, Role
from tracker.services import actions, people, plans, reports

TEXTS = {
    "Ta fram rutin för handläggning": "a1",
    "Stickprov varje kvartal": "a2",
    "Utbilda handläggarna": "b1",
}


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def listed(client: TestClient, url: str) -> list[str]:
    """The åtgärder the page shows, in the order it shows them (by their short names)."""
    html = client.get(url).text
    found = re.findall(r'class="action-link">([^<]+)</a>', html)
    return [TEXTS[t] for t in found]


def outbox(app: App) -> list[OutboxMessage]:
    with app.transaction() as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def events(app: App, trigger: str) -> list[ActionEvent]:
    with app.transaction() as s:
        return list(
            s.exec(
                select(ActionEvent)
                .where(ActionEvent.trigger == trigger)
                .order_by(col(ActionEvent.id))
            ).all()
        )


def owner_of(app: App, action_id: int) -> int | None:
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        return action.owner_id


def version(app: App, action_id: int) -> int:
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        return action.version


# --- search and sort ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("handläggning", ["a1"]),  # the åtgärd's text (b1 says "handläggarna")
        ("Bo+Lind", ["b1"]),  # the owner's name
        ("anna.berg%40pitea", ["a1", "a2"]),  # the owner's address
        ("Nytt+system", ["a2"]),  # the processläge
        ("intern+kontroll", ["a2"]),  # the utvecklingsområde
        ("mars+2018", []),  # the tidsplan is not searched
        ("Ej+påbörjat", []),  # nor the state (it has a filter of its own)
        ("rutin+stickprov", []),  # every word must be found
    ],
)
def test_search_finds_by_each_field_and_nothing_else(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    query: str,
    expected: list[str],
) -> None:
    with app.transaction() as s:
        actions.note_progress(s, world.a2, world.anna, "Nytt system upphandlas.", now=clock())
    assert listed(chef_client, f"/planer/{world.plan_id}?q={query}") == expected


def test_a_search_with_no_match_says_so_and_the_form_keeps_the_query(
    chef_client: TestClient, world: World
) -> None:
    page = chef_client.get(f"/planer/{world.plan_id}?q=budget&sortera=klart").text
    assert "Inga åtgärder matchar sökningen ”budget”." in text_of(page)
    [search] = [f for f in forms(page) if f.method == "get"]
    assert (search.fields["q"], search.fields["sortera"]) == ("budget", "klart")


def test_sorting_by_each_column_is_in_the_address(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.b1, "starta", world.bo, now=clock(), text="Igång.")
    clock.advance(hours=1)
    with app.transaction() as s:
        actions.note_progress(s, world.a2, world.anna, "Senare.", now=clock())
    base = f"/planer/{world.plan_id}"
    # a1 due 2018-03-31 (evaluated in October), b1 due 2018-02-28, a2 without dates: last.
    assert listed(chef_client, base) == ["a1", "b1", "a2"]
    assert listed(chef_client, f"{base}?sortera=klart") == ["b1", "a1", "a2"]
    assert listed(chef_client, f"{base}?sortera=klart&ordning=fallande") == ["a1", "b1", "a2"]
    assert listed(chef_client, f"{base}?sortera=utvarderas") == ["a1", "b1", "a2"]
    assert listed(chef_client, f"{base}?sortera=lage") == ["a1", "a2", "b1"]
    assert listed(chef_client, f"{base}?sortera=ansvarig&ordning=fallande") == ["b1", "a1", "a2"]
    assert listed(chef_client, f"{base}?sortera=processlage&ordning=fallande") == [
        "a2",
        "b1",
        "a1",
    ]
    # Search, filter and sort together, in one shareable address.
    assert listed(chef_client, f"{base}?q=anna&lage=ej_paborjat&sortera=klart") == ["a1", "a2"]


def test_a_reader_may_search_and_sort_but_is_offered_no_bulk_form(
    client: TestClient, app: App, world: World, clock: MovableClock, board: Person
) -> None:
    log_in(client, app, board, clock())
    page = client.get(f"/planer/{world.plan_id}?q=handläggning&sortera=klart")
    assert page.status_code == 200
    assert [TEXTS[t] for t in re.findall(r'class="action-link">([^<]+)</a>', page.text)] == ["a1"]
    assert not [f for f in forms(page.text) if "/ansvariga" in f.action]
    assert 'name="atgard"' not in page.text


# --- many åtgärder, one owner ---------------------------------------------------------------


def pick(app: App, *ids: int) -> list[str]:
    return [f"{i}:{version(app, i)}" for i in ids]


def test_bulk_assign_writes_an_event_each_and_one_mail_per_owner(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = chef_client.get(f"/planer/{world.plan_id}?sortera=klart").text
    form = form_to(page, "/ansvariga")
    assert form.fields["sida"] == "sortera=klart"
    done = chef_client.post(
        form.action,
        data={
            **form.fields,
            "atgard": pick(app, world.a1, world.a2, world.b1),
            "email": "Cecilia.Holm@pitea.example",
            "name": "Cecilia Holm",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/planer/{world.plan_id}?sortera=klart"
    words = text_of(chef_client.get(done.headers["location"]).text)
    assert "Cecilia Holm (cecilia.holm@pitea.example) är nu ansvarig för 3 åtgärder." in words
    with app.transaction() as s:
        cecilia = people.get_person(s, "cecilia.holm@pitea.example")
    assert cecilia.forvaltning == world.chef.forvaltning
    assigned = events(app, "tilldelad")
    assert sorted(e.action_id for e in assigned) == sorted([world.a1, world.a2, world.b1])
    assert {e.actor_id for e in assigned} == {world.chef.id}
    assert {owner_of(app, i) for i in (world.a1, world.a2, world.b1)} == {cecilia.id}
    [mail] = outbox(app)
    assert (mail.to_addr, mail.kind) == ("cecilia.holm@pitea.example", "tilldelning")
    assert mail.subject == (
        "Du är ansvarig för 3 åtgärder i Åtgärdsplan efter granskning av ekonomiskt bistånd"
    )
    for text in TEXTS:
        assert text in mail.body_text and text in mail.body_html
    assert mail.body_text.count("http://testserver/ansvarig/") == 1


def test_bulk_assign_to_an_existing_person_leaves_out_those_already_theirs(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/planer/{world.plan_id}").text, "/ansvariga")
    persons = re.findall(
        r'<option value="(\d+)"[^>]*>([^<]+) \(', chef_client.get(f"/planer/{world.plan_id}").text
    )
    assert (str(world.bo.id), "Bo Lind") in persons
    done = chef_client.post(
        form.action,
        data={**form.fields, "atgard": pick(app, world.a1, world.b1), "person_id": world.bo.id},
    )
    assert "Bo Lind (bo.lind@pitea.example) är nu ansvarig för 1 åtgärd." in text_of(done.text)
    assert "1 åtgärd hade redan Bo Lind." in text_of(done.text)
    assert [e.action_id for e in events(app, "tilldelad")] == [world.a1]
    [mail] = outbox(app)
    # One åtgärd: the same message as a single assignment, with the link to it.
    assert (mail.to_addr, mail.subject) == (
        "bo.lind@pitea.example",
        "Du är ansvarig för en åtgärd i Åtgärdsplan efter granskning av ekonomiskt bistånd",
    )
    # A second post to Bo within minutes joins the mail still waiting; another owner gets
    # their own, and Bo's waiting mail no longer tells him of the åtgärd he lost.
    chef_client.post(
        form.action,
        data={**form.fields, "atgard": pick(app, world.a2), "person_id": world.bo.id},
    )
    chef_client.post(
        form.action,
        data={**form.fields, "atgard": pick(app, world.a1, world.b1), "person_id": world.chef.id},
    )
    assert [(m.to_addr, m.subject) for m in outbox(app)] == [
        (
            "bo.lind@pitea.example",
            "Du är ansvarig för en åtgärd i Åtgärdsplan efter granskning av ekonomiskt bistånd",
        ),
        (
            "malin.westling@pitea.example",
            "Du är ansvarig för 2 åtgärder i Åtgärdsplan efter granskning av ekonomiskt bistånd",
        ),
    ]


def test_a_bulk_assignment_to_a_known_address_keeps_the_persons_name(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/planer/{world.plan_id}").text, "/ansvariga")
    done = chef_client.post(
        form.action,
        data={
            **form.fields,
            "atgard": pick(app, world.a1),
            "email": "bo.lind@pitea.example",
            "name": "Annika Bergström",
        },
    )
    said = text_of(done.text)
    assert "Bo Lind (bo.lind@pitea.example) är nu ansvarig för 1 åtgärd." in said
    assert "Namnet Annika Bergström som skrevs in användes inte" in said
    with app.transaction() as s:
        assert people.get_person(s, "bo.lind@pitea.example").name == "Bo Lind"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"email": "inte en adress"}, 422, "Ogiltig e-postadress: 'inte en adress'."),
        ({}, 422, "Välj vem som ska bli ansvarig"),
        ({"email": "x@pitea.example", "person_id": "1"}, 422, "inte båda"),
        ({"person_id": "999999"}, 422, "Välj en person i listan."),
        ({"email": "x@pitea.example", "stale": "1"}, 409, "har ändrats av någon annan"),
        ({"email": "x@pitea.example", "none": "1"}, 422, "Välj minst en åtgärd"),
        ({"email": "x@pitea.example", "other_plan": "1"}, 422, "hör inte till planen"),
    ],
)
def test_a_refused_bulk_assign_changes_nothing(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    fields = dict(fields)  # the parameter is shared by both backends' runs
    form = form_to(chef_client.get(f"/planer/{world.plan_id}?q=anna").text, "/ansvariga")
    picks = pick(app, world.a1, world.b1)
    if fields.pop("stale", None):
        # The last one picked changed after the page was shown: the first is not kept either.
        with app.transaction() as s:
            actions.note_progress(s, world.b1, world.bo, "Ändrat under tiden.", now=clock())
    if fields.pop("none", None):
        picks = []
    if fields.pop("other_plan", None):
        picks = [*picks, "999999:1"]
    before = [version(app, i) for i in (world.a1, world.a2, world.b1)]
    done = chef_client.post(form.action, data={**form.fields, "atgard": picks, **fields})
    assert done.status_code == status
    assert message in text_of(done.text)
    assert [version(app, i) for i in (world.a1, world.a2, world.b1)] == before
    assert events(app, "tilldelad") == [] and outbox(app) == []
    with app.transaction() as s:
        assert people.find_person(s, "x@pitea.example") is None
    # The page comes back as it was asked for, with what was typed.
    again = form_to(done.text, "/ansvariga")
    assert again.fields["sida"] == "q=anna"
    assert again.fields.get("email", "") == fields.get("email", "")


# --- moving an åtgärd, editing an utvecklingsområde ---------------------------------------


def test_moving_an_action_to_another_area_is_in_its_history_and_the_plan(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    clock.advance(days=1)
    log_in(chef_client, app, world.chef, clock())
    page = chef_client.get(f"/atgarder/{world.a1}").text
    form = form_to(page, "/omrade")
    with app.transaction() as s:
        other = s.get(Action, world.a2)
        assert other is not None
        target = other.area_id
    done = chef_client.post(form.action, data=form.data(area_id=str(target)))
    assert done.status_code == 200
    assert "Flyttad. Utvecklingsområde: 'Ekonomiskt bistånd' → 'Intern kontroll'." in text_of(
        done.text
    )
    timeline = text_of(done.text).split("Historik", 1)[1]
    assert "Flyttad Utvecklingsområde: 'Ekonomiskt bistånd' → 'Intern kontroll'" in timeline
    with app.transaction() as s:
        moved = s.get(Action, world.a1)
        assert moved is not None and moved.area_id == target
    words = text_of(chef_client.get(f"/planer/{world.plan_id}").text)
    assert "Intern kontroll Stickprov varje kvartal" in words
    assert words.index("Stickprov varje kvartal") < words.index("Ta fram rutin för handläggning")
    # The same area again, or a stale form, is refused with nothing written.
    again = form_to(done.text, "/omrade")
    assert chef_client.post(again.action, data=again.data(area_id=str(target))).status_code == 422
    stale = chef_client.post(form.action, data=form.data(area_id=str(world.area_id)))
    assert stale.status_code == 409
    # A report as of before the move shows the åtgärd where it stood then.
    with app.transaction() as s:
        snap = reports.build_snapshot(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2018, 1, 10),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
    assert [a.id for a in snap.areas[0].actions] == [world.a1, world.b1]


def test_editing_an_area_is_recorded_and_a_report_before_it_keeps_the_old_name(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    plan_page = chef_client.get(f"/planer/{world.plan_id}").text
    assert f'href="/planer/{world.plan_id}/omraden/{world.area_id}"' in plan_page
    page = chef_client.get(f"/planer/{world.plan_id}/omraden/{world.area_id}").text
    assert "Området har inte ändrats sedan det lades till." in text_of(page)
    form = form_to(page, "/andra")
    assert form.fields["title"] == "Ekonomiskt bistånd"
    taken = chef_client.post(form.action, data=form.data(title="Intern kontroll"))
    assert taken.status_code == 422
    assert "Planen har redan ett utvecklingsområde som heter 'Intern kontroll'." in text_of(
        taken.text
    )
    clock.advance(days=1)
    log_in(chef_client, app, world.chef, clock())  # a day idle: the log-in has ended
    form = form_to(
        chef_client.get(f"/planer/{world.plan_id}/omraden/{world.area_id}").text, "/andra"
    )
    done = chef_client.post(
        form.action, data=form.data(title="Ekonomiskt bistånd och stöd", section="Del 1")
    )
    words = text_of(done.text)
    assert "Utvecklingsområdet är ändrat." in words
    assert "Namn ändrad : ”Ekonomiskt bistånd” → ”Ekonomiskt bistånd och stöd”" in words
    assert "Rubrik ovanför ändrad : (ingen) → ”Del 1”" in words
    assert "Malin Westling <malin.westling@pitea.example>" in words
    with app.transaction() as s:
        recorded = s.exec(select(AreaEvent).order_by(col(AreaEvent.id))).all()
        assert [(e.field, e.old, e.new) for e in recorded] == [
            ("title", "Ekonomiskt bistånd", "Ekonomiskt bistånd och stöd"),
            ("section", "", "Del 1"),
        ]
        before = reports.build_snapshot(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2018, 1, 10),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
        after = reports.build_snapshot(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2018, 1, 11),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
    assert (before.areas[0].title, before.areas[0].section) == ("Ekonomiskt bistånd", "")
    assert (after.areas[0].title, after.areas[0].section) == (
        "Ekonomiskt bistånd och stöd",
        "Del 1",
    )
    assert "Del 1 Ekonomiskt bistånd och stöd" in text_of(
        chef_client.get(f"/planer/{world.plan_id}").text
    )


# --- withdrawing ----------------------------------------------------------------------------


def test_withdrawing_from_the_action_page_needs_a_reason_and_shows_everywhere(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = chef_client.get(f"/atgarder/{world.b1}").text
    assert "Låt utgå: Varför utgår åtgärden?" in text_of(page)
    form = next(f for f in forms(page) if f.fields.get("trigger") == "utga")
    empty = chef_client.post(form.action, data=form.data(text=" "))
    assert empty.status_code == 422
    assert "Låt utgå kräver en text: Varför utgår åtgärden?" in text_of(empty.text)
    reason = "Utbildningen ges av regionen i stället."
    done = chef_client.post(form.action, data=form.data(text=reason))
    words = text_of(done.text)
    assert "Sparat: Ej påbörjat → Utgår." in words
    assert "Skäl till att åtgärden utgår: " + reason in words
    assert "Utgått : Ej påbörjat → Utgår" in words.split("Historik", 1)[1]
    # No processläge form is offered any more, and none is taken.
    assert not [f for f in forms(done.text) if "/uppdatera" in f.action]
    # Past its due date it is neither late on the plan page nor offered for bulk assignment.
    clock.advance(days=60)
    log_in(chef_client, app, world.chef, clock())
    plan_page = chef_client.get(f"/planer/{world.plan_id}").text
    plan_words = text_of(plan_page)
    assert "3 åtgärder, 1 utgår." in plan_words
    assert f'value="{world.b1}:' not in plan_page
    assert "Utbilda handläggarna Utgår Ansvarig: Bo Lind" in plan_words
    assert listed(chef_client, f"/planer/{world.plan_id}?forsenad=1") == []
    form = form_to(plan_page, "/ansvariga")
    refused = chef_client.post(
        form.action,
        data={**form.fields, "atgard": pick(app, world.b1), "person_id": world.anna.id},
    )
    assert refused.status_code == 422
    assert f"Åtgärd {world.b1} utgår och kan inte få en ny ansvarig." in text_of(refused.text)


# --- other workflows than the åtgärd's -----------------------------------------------------


def list_row(html: str, title: str) -> dict[str, str]:
    """The plan list's row for a plan: each cell's text by its column."""
    [row] = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if f">{title}</a>" in r]
    return {
        k: text_of(v) for k, v in re.findall(r'data-label="([^"]+)"[^>]*>(.*?)</t[dh]>', row, re.S)
    }


def test_decisions_from_a_protokoll_are_counted_and_filtered_in_their_own_states(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=clock(), title="Ledningsgruppen 2021", forvaltning=world.chef.forvaltning
        )
        area = plans.ensure_area(s, plan, "Ledningsgruppen 2021-02-09")
        for text, state in [
            ("Tony stämmer av frågan med Daniel", None),
            ("Maria tar fram förslag", None),
            ("Tabell över skolval skickas till verksamhetscheferna", "aterrapporterad"),
        ]:
            plans.add_action(
                s, app.registry, area, now=clock(), text=text, workflow="protokoll", state=state
            )
        plan_id = plan.id
    listing = chef_client.get("/planer").text
    decisions = list_row(listing, "Ledningsgruppen 2021")
    # The count column names both kinds in the list.
    assert decisions["Åtgärder och beslut"] == "3"
    assert (decisions["Tilldelad"], decisions["Återrapporterad"]) == ("2", "1")
    assert decisions["Ej påbörjat"] == "0"
    # The åtgärdsplan in the same table keeps its own states, and has no decisions.
    theirs = list_row(listing, "Åtgärdsplan efter granskning av ekonomiskt bistånd")
    assert (theirs["Ej påbörjat"], theirs["Tilldelad"]) == ("3", "0")
    page = chef_client.get(f"/planer/{plan_id}").text
    [choices] = re.findall(r'<select id="lage" name="lage">(.*?)</select>', page, re.S)
    assert [text_of(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", choices)] == [
        "Alla lägen",
        "Tilldelad",
        "Återrapporterad",
        "Utgår",
    ]
    shown = text_of(chef_client.get(f"/planer/{plan_id}?lage=tilldelad").text)
    assert "Tony stämmer av frågan med Daniel" in shown
    assert "Maria tar fram förslag" in shown
    assert "Tabell över skolval" not in shown


# --- who may ------------------------------------------------------------------------------


def test_a_chef_of_another_forvaltning_can_do_none_of_it(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        other = people.ensure_person(
            s,
            "kim.ek@pitea.example",
            now=clock(),
            name="Kim Ek",
            role=Role.chef,
            forvaltning="Kultur- och fritidsförvaltningen",
        )
    log_in(client, app, other, clock())
    csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
    before = [version(app, i) for i in (world.a1, world.a2, world.b1)]
    for path, data in [
        (
            f"/planer/{world.plan_id}/ansvariga",
            {"atgard": pick(app, world.a1), "email": "kim.ek@pitea.example"},
        ),
        (f"/atgarder/{world.a1}/omrade", {"version": "1", "area_id": str(world.area_id + 1)}),
        (f"/atgarder/{world.a1}/uppdatera", {"version": "1", "trigger": "utga", "text": "Nej."}),
        (f"/planer/{world.plan_id}/omraden/{world.area_id}/andra", {"title": "Kims namn"}),
    ]:
        assert client.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    assert client.get(f"/planer/{world.plan_id}?q=rutin").status_code == 403
    assert client.get(f"/planer/{world.plan_id}/omraden/{world.area_id}").status_code == 403
    assert [version(app, i) for i in (world.a1, world.a2, world.b1)] == before
    assert outbox(app) == []
    with app.transaction() as s:
        assert s.exec(select(AreaEvent)).all() == []


@pytest.mark.parametrize(
    ("mistake", "reason", "box"),
    [
        ({"owner_email": "lena@pitea"}, "Ogiltig e-postadress: 'lena@pitea'.", "owner_email"),
        ({"due_on": "2018-02-30"}, "Klart till: skriv datumet som ÅÅÅÅ-MM-DD", "due_on"),
    ],
)
def test_a_refused_new_atgard_on_the_plan_page_keeps_everything_typed_and_creates_nothing(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    mistake: dict[str, str],
    reason: str,
    box: str,
) -> None:
    log_in(client, app, world.chef, clock())
    with app.transaction() as s:
        other = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Kompetens")
    form = form_to(client.get(f"/planer/{world.plan_id}").text, f"/planer/{world.plan_id}/atgarder")
    typed = {
        "area_id": str(other.id),
        "text": "Ta fram en rutin för överlämningar",
        "tidsplan": "Klart till juni 2018.",
        "due_on": "2018-06-30",
        "evaluate_on": "2018-10-31",
        "owner_email": "lena.sjoberg@pitea.example",
        "owner_name": "Lena Sjöberg",
        **mistake,
    }
    refused = client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert reason in text_of(refused.text)
    again = form_to(refused.text, f"/planer/{world.plan_id}/atgarder").fields
    assert {k: again[k] for k in typed} == typed
    assert re.search(rf'name="{box}"[^>]*aria-invalid="true"', refused.text)
    with app.transaction() as s:
        assert s.exec(select(Action).where(Action.text == typed["text"])).first() is None
        assert people.find_person(s, typed["owner_email"]) is None


@pytest.mark.parametrize(
    ("typed", "reason", "box"),
    [
        ({"title": "   ", "section": "Del 2"}, "Utvecklingsområdets namn måste fyllas i.", "title"),
        (
            {"title": "Kompetens " * 201, "section": "Del 2"},
            "Utvecklingsområdets namn är för långt: högst 2 000 tecken.",
            "title",
        ),
        (
            {"title": "Kompetens", "section": "Del " * 126},
            "Rubriken ovanför är för lång: högst 500 tecken.",
            "section",
        ),
    ],
)
def test_a_refused_new_area_on_the_plan_page_keeps_what_was_typed_and_creates_nothing(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    typed: dict[str, str],
    reason: str,
    box: str,
) -> None:
    log_in(client, app, world.chef, clock())
    form = form_to(client.get(f"/planer/{world.plan_id}").text, f"/planer/{world.plan_id}/omraden")
    with app.transaction() as s:
        before = len(s.exec(select(Area)).all())
    refused = client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert reason in text_of(refused.text)
    again = form_to(refused.text, f"/planer/{world.plan_id}/omraden").fields
    assert {k: again[k] for k in typed} == typed
    assert re.search(rf'name="{box}"[^>]*aria-invalid="true"', refused.text)
    # The new åtgärd's form beside it is not marked.
    assert 'id="text" name="text" rows="3" required>' in refused.text
    with app.transaction() as s:
        assert len(s.exec(select(Area)).all()) == before


@pytest.mark.parametrize(
    ("typed", "reason", "box"),
    [
        ({"title": "   ", "section": "Del 2"}, "Utvecklingsområdets namn måste fyllas i.", "title"),
        (
            {"title": "Kompetens " * 201, "section": "Del 2"},
            "Utvecklingsområdets namn är för långt: högst 2 000 tecken.",
            "title",
        ),
        (
            {"title": "Kompetens", "section": "Del " * 126},
            "Rubriken ovanför är för lång: högst 500 tecken.",
            "section",
        ),
        (
            {"title": "Intern kontroll", "section": "Del 2"},
            "Planen har redan ett utvecklingsområde som heter 'Intern kontroll'.",
            "title",
        ),
    ],
)
def test_a_refused_area_edit_keeps_what_was_typed_beside_the_reason_and_changes_nothing(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    typed: dict[str, str],
    reason: str,
    box: str,
) -> None:
    log_in(client, app, world.chef, clock())
    page = f"/planer/{world.plan_id}/omraden/{world.area_id}"
    form = form_to(client.get(page).text, "/andra")
    with app.transaction() as s:
        before = s.get_one(Area, world.area_id).model_dump()
    refused = client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert reason in text_of(refused.text)
    again = form_to(refused.text, "/andra").fields
    assert {k: again[k] for k in typed} == typed
    invalid = re.findall(r'<(?:input|textarea)\b[^>]*aria-invalid="true"[^>]*>', refused.text)
    assert [re.search(r'name="(\w+)"', t).group(1) for t in invalid] == [box]  # type: ignore[union-attr]
    assert 'aria-describedby="andra-omrade-form-fel"' in invalid[0]
    with app.transaction() as s:
        assert s.get_one(Area, world.area_id).model_dump() == before
