"""The chef's and board's pages: plans, one plan as the återrapport table, one åtgärd with its
history, and every change the chef makes there."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from tests.web.conftest import World
from tests.web.helpers import (
    MovableClock,
    form_to,
    forms,
    log_in,
    path_of,
    reason_beside,
    text_of,
)
from tracker.app import App
from tracker.models import Action, Area, OutboxMessage, Person, Plan, Role
from tracker.services import actions, people
from tracker.web.forms import FORM_LIMIT, UPLOAD_LIMIT


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def outbox(app: App) -> list[OutboxMessage]:
    with app.transaction() as s:
        return list(s.exec(select(OutboxMessage)).all())


def get_action(app: App, action_id: int) -> Action:
    with app.transaction() as s:
        found = s.get(Action, action_id)
        assert found is not None
        return found


def other_chef(app: App, clock: MovableClock) -> Person:
    with app.transaction() as s:
        return people.ensure_person(
            s,
            "kim.ek@pitea.example",
            now=clock(),
            name="Kim Ek",
            role=Role.chef,
            forvaltning="Kultur- och fritidsförvaltningen",
        )


# --- plans --------------------------------------------------------------------------------


def test_plan_list_shows_counts_per_state_and_overdue(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock())
    clock.advance(days=60)  # b1 (due 2018-02-28) is now overdue
    log_in(chef_client, app, world.chef, clock())  # the week-long session has ended
    page = chef_client.get("/planer")
    assert page.status_code == 200
    html = page.text
    assert "Åtgärdsplan efter granskning av ekonomiskt bistånd" in text_of(html)
    # A column for each state some åtgärd is in, not for states none is in.
    head = text_of(html.split("<thead>")[1].split("</thead>")[0])
    assert head.endswith("Åtgärder Ej påbörjat Pågår Försenade")
    row = text_of(html.split("<tbody>")[1].split("</tr>")[0])
    assert row.endswith("3 2 1 1")


def test_plan_page_is_laid_out_like_the_atergrapport_table(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.note_progress(
            s, world.a1, world.anna, "Pågår enligt tidsplan. Ny återrapport juni 2018.", now=clock()
        )
    page = chef_client.get(f"/planer/{world.plan_id}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Utvecklingsområde Åtgärd Tidsplan Processläge" in words
    assert (
        "Ekonomiskt bistånd Ta fram rutin för handläggning Ej påbörjat Ansvarig: Anna Berg" in words
    )
    assert "Klart till mars 2018. Utvärderas oktober 2018." in words
    assert "Pågår enligt tidsplan. Ny återrapport juni 2018." in words
    assert "Intern kontroll Stickprov varje kvartal" in words


def test_plan_page_filters_by_state_owner_and_overdue(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a2, "starta", world.anna, now=clock())
    base = f"/planer/{world.plan_id}"

    def shown(query: str) -> set[str]:
        words = text_of(chef_client.get(f"{base}?{query}").text)
        texts = {"Ta fram rutin", "Stickprov varje kvartal", "Utbilda handläggarna"}
        return {t for t in texts if t in words}

    assert shown("lage=pagar") == {"Stickprov varje kvartal"}
    assert shown(f"ansvarig={world.bo.id}") == {"Utbilda handläggarna"}
    assert shown("forsenad=1") == set()
    clock.advance(days=60)
    log_in(chef_client, app, world.chef, clock())
    assert shown("forsenad=1") == {"Utbilda handläggarna"}
    assert shown(f"lage=ej_paborjat&ansvarig={world.anna.id}") == {"Ta fram rutin"}
    assert "Visar 1 av 3 åtgärder." in text_of(chef_client.get(f"{base}?lage=pagar").text)
    # A filter form that works without JavaScript: GET with the chosen values kept.
    [flt] = [f for f in forms(chef_client.get(f"{base}?lage=pagar").text) if f.method == "get"]
    assert flt.action == base


def test_chef_creates_a_plan_adds_an_area_and_an_action_with_an_owner(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(chef_client.get("/planer/ny").text, "/planer/ny")
    created = chef_client.post(
        form.action, data=form.data(title="Handlingsplan skolnärvaro", dnr="BUN 2018/7")
    )
    assert created.status_code == 200
    assert "Planen 'Handlingsplan skolnärvaro' är skapad." in text_of(created.text)
    with app.transaction() as s:
        plan = s.exec(select(Plan).where(Plan.title == "Handlingsplan skolnärvaro")).one()
    assert plan.forvaltning == world.chef.forvaltning  # the chef's own
    area_form = form_to(created.text, f"/planer/{plan.id}/omraden")
    page = chef_client.post(area_form.action, data=area_form.data(title="Tidiga insatser"))
    assert "Utvecklingsområdet 'Tidiga insatser' är tillagt." in text_of(page.text)
    add = form_to(page.text, f"/planer/{plan.id}/atgarder")
    done = chef_client.post(
        add.action,
        data=add.data(
            text="Kartlägg frånvaron varje månad",
            tidsplan="Klart till maj 2018.",
            due_on="2018-05-31",
            owner_email="Cecilia.Holm@pitea.example",
            owner_name="Cecilia Holm",
        ),
    )
    assert done.status_code == 200
    words = text_of(done.text)
    assert "Åtgärden är tillagd." in words
    assert "Cecilia Holm (cecilia.holm@pitea.example) är nu ansvarig." in words
    with app.transaction() as s:
        new = s.exec(select(Action).where(Action.text == "Kartlägg frånvaron varje månad")).one()
        owner = people.get_person(s, "cecilia.holm@pitea.example")
        history = actions.history(s, new.id or 0)
    assert (new.owner_id, new.due_on, new.tidsplan) == (
        owner.id,
        date(2018, 5, 31),
        "Klart till maj 2018.",
    )
    assert [e.trigger for e in history] == ["skapad", "tilldelad"]
    [mail] = outbox(app)
    assert (mail.to_addr, mail.kind) == ("cecilia.holm@pitea.example", "tilldelning")
    assert mail.forvaltning == world.chef.forvaltning  # the plan's: on its chef's outbox page
    assert mail.reply_to == world.chef.email  # an answer reaches the chef, not no-reply
    assert "Malin Westling har gjort dig ansvarig" in mail.body_text
    assert "Kartlägg frånvaron varje månad" in mail.body_html
    link = next(w for w in mail.body_text.split() if w.startswith("http://testserver/ansvarig/"))
    owner_page = TestClient(chef_client.app).get(path_of(link))
    assert "Kartlägg frånvaron varje månad" in text_of(owner_page.text)


def test_a_plan_title_is_unique_within_a_forvaltning(chef_client: TestClient, world: World) -> None:
    form = form_to(chef_client.get("/planer/ny").text, "/planer/ny")
    title = "Åtgärdsplan efter granskning av ekonomiskt bistånd"
    done = chef_client.post(form.action, data=form.data(title=title))
    assert done.status_code == 422
    assert "Det finns redan en plan som heter" in text_of(done.text)
    assert chef_client.post(form.action, data=form.data(title="  ")).status_code == 422


@pytest.mark.parametrize(
    ("typed", "reason", "box"),
    [
        ({"title": "   ", "dnr": "BUN 2018/7"}, "Planens namn måste fyllas i.", "title"),
        (
            {"title": "Skolnärvaro " * 42, "dnr": "BUN 2018/7"},
            "Planens namn är för långt: högst 500 tecken.",
            "title",
        ),
        (
            {"title": "Skolnärvaro", "namnd": "Barn- och utbildningsnämnden " * 8},
            "Nämndens namn är för långt: högst 200 tecken.",
            "namnd",
        ),
        (
            {"title": "Skolnärvaro", "dnr": "BUN 2018/7 " * 10},
            "Diarienumret är för långt: högst 100 tecken.",
            "dnr",
        ),
        (
            {"title": "Skolnärvaro", "background": "Frånvaron ökar.", "dnr": "BUN 2018/7 " * 10},
            "Diarienumret är för långt: högst 100 tecken.",
            "dnr",
        ),
    ],
)
def test_a_refused_new_plan_keeps_everything_typed_beside_the_reason_and_creates_nothing(
    chef_client: TestClient, app: App, typed: dict[str, str], reason: str, box: str
) -> None:
    form = form_to(chef_client.get("/planer/ny").text, "/planer/ny")
    with app.transaction() as s:
        before = len(s.exec(select(Plan)).all())
    refused = chef_client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert reason in text_of(refused.text)
    again = form_to(refused.text, "/planer/ny").fields
    assert {k: again[k] for k in typed} == typed
    invalid = re.findall(r'<(?:input|textarea)\b[^>]*aria-invalid="true"[^>]*>', refused.text)
    assert [re.search(r'name="(\w+)"', t).group(1) for t in invalid] == [box]  # type: ignore[union-attr]
    assert 'aria-describedby="ny-plan-form-fel"' in invalid[0]
    with app.transaction() as s:
        assert len(s.exec(select(Plan)).all()) == before


def test_chef_pages_refuse_posts_without_csrf(
    chef_client: TestClient, app: App, world: World
) -> None:
    before = outbox(app), get_action(app, world.a1).version
    for path, data in [
        ("/planer/ny", {"title": "Utan token"}),
        (f"/planer/{world.plan_id}/omraden", {"title": "Utan token"}),
        (f"/atgarder/{world.a1}/uppdatera", {"version": "1", "text": "Utan token"}),
        (f"/atgarder/{world.a1}/ansvarig", {"version": "1", "email": "x@pitea.example"}),
        (f"/personer/{world.anna.id}/aterkalla-lankar", {}),
    ]:
        r = chef_client.post(path, data={**data, "csrf": "fel"})
        assert r.status_code == 403, path
    assert (outbox(app), get_action(app, world.a1).version) == before
    with app.transaction() as s:
        assert s.exec(select(Plan).where(Plan.title == "Utan token")).first() is None
        assert s.exec(select(Area).where(Area.title == "Utan token")).first() is None
        anna = s.get(Person, world.anna.id)
        assert anna is not None and anna.links_valid_after is None


# --- one action -------------------------------------------------------------------------


def test_action_page_shows_history_as_a_timeline_newest_first(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock(), text="Igång")
    clock.advance(days=1)
    with app.transaction() as s:
        actions.note_progress(s, world.a1, world.anna, "Pågår enligt tidsplan.", now=clock())
    log_in(chef_client, app, world.chef, clock())  # idle for a day: the log-in has ended
    words = text_of(chef_client.get(f"/atgarder/{world.a1}").text)
    timeline = words.split("Historik", 1)[1]
    assert timeline.index("Processläge sparat") < timeline.index("Startad : Ej påbörjat → Pågår")
    assert timeline.index("Startad") < timeline.index("Skapad")
    assert "2018-01-11 10:00 · Anna Berg <anna.berg@pitea.example>" in timeline


def test_chef_moves_an_action_with_the_chefs_transitions(
    chef_client: TestClient, app: App, world: World
) -> None:
    def update(trigger: str, text: str = "") -> str:
        page = chef_client.get(f"/atgarder/{world.a1}")
        form = next(
            f
            for f in forms(page.text)
            if "/uppdatera" in f.action and f.fields.get("trigger", trigger) == trigger
        )
        done = chef_client.post(form.action, data=form.data(trigger=trigger, text=text))
        assert done.status_code == 200, done.text
        return text_of(done.text)

    assert "Sparat: Ej påbörjat → Pågår." in update("starta")
    assert "Sparat: Pågår → Klar." in update("slutfor", "Rutinen är beslutad.")
    page = chef_client.get(f"/atgarder/{world.a1}").text
    assert "Utvärdera: Vad visar utvärderingen?" in text_of(page)  # the chef's own transition
    assert "Sparat: Klar → Utvärderad." in update("utvardera", "Färre fel i stickproven.")
    assert get_action(app, world.a1).state == "utvarderad"


def test_chef_gets_the_reason_for_a_refused_move_and_a_conflict_for_a_stale_form(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = chef_client.get(f"/atgarder/{world.a1}").text
    form = form_to(page, "/uppdatera")
    refused = chef_client.post(form.action, data=form.data(trigger="utvardera", text="x"))
    assert refused.status_code == 422
    assert "'Utvärdera' går inte när åtgärden är 'Ej påbörjat'" in text_of(refused.text)
    with app.transaction() as s:
        actions.note_progress(s, world.a1, world.anna, "Annas nya processläge", now=clock())
    stale = chef_client.post(form.action, data=form.data(text="Chefens text"))
    assert stale.status_code == 409
    assert "har ändrats av någon annan" in text_of(stale.text)
    assert form_to(stale.text, "/uppdatera").fields["text"] == "Chefens text"
    assert get_action(app, world.a1).progress_note == "Annas nya processläge"


def test_a_refused_move_says_why_beside_the_box_it_is_about(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        actions.move(s, app.registry, world.a1, "starta", world.anna, now=clock())
    page = chef_client.get(f"/atgarder/{world.a1}").text
    form = next(f for f in forms(page) if f.fields.get("trigger") == "slutfor")
    refused = chef_client.post(form.action, data=form.data(text=" "))
    assert refused.status_code == 422
    box = f"text-{world.a1}-slutfor"
    reason = reason_beside(refused.text, box, f'<label for="{box}"')
    assert reason == "Slutför kräver en text: Vad har gjorts?"
    [alert] = re.findall(r'<p class="alert" role="alert">(.*?)</p>', refused.text, re.DOTALL)
    assert "Ingenting sparades" in text_of(alert) and reason not in text_of(alert)


def test_chef_edits_dates_and_each_change_is_in_the_history(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    assert form.fields["due_on"] == "2018-03-31"
    done = chef_client.post(
        form.action, data=form.data(due_on="2018-04-30", tidsplan="Klart till april 2018.")
    )
    assert "Ändringarna är sparade." in text_of(done.text)
    a1 = get_action(app, world.a1)
    assert (a1.due_on, a1.tidsplan) == (date(2018, 4, 30), "Klart till april 2018.")
    assert "due_on: 2018-03-31 → 2018-04-30" in text_of(done.text)
    bad = form_to(done.text, "/andra")
    refused = chef_client.post(bad.action, data=bad.data(due_on="30/4"))
    assert refused.status_code == 422
    assert "Klart till: skriv datumet som ÅÅÅÅ-MM-DD" in text_of(refused.text)
    # The åtgärd's own text is edited the same way.
    again = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    renamed = chef_client.post(again.action, data=again.data(text="En ny formulering."))
    assert "Ändringarna är sparade." in text_of(renamed.text)
    assert get_action(app, world.a1).text == "En ny formulering."


def test_dates_that_contradict_the_tidsplan_or_each_other_are_saved_and_pointed_out(
    chef_client: TestClient, app: App, world: World
) -> None:
    """The återrapport prints the tidsplan's text beside lateness measured by the dates: a
    chef who moves a date and leaves the text is told, as an import would tell them."""
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    moved = chef_client.post(
        form.action,
        data=form.data(
            tidsplan="Klart till 2018-03-31.", due_on="2018-02-28", evaluate_on="2018-01-31"
        ),
    )
    words = text_of(moved.text)
    assert (
        "Ändringarna är sparade. Kontrollera datumen: tidsplanen anger 2018-03-31 men Klart "
        "till är 2018-02-28; utvärderingen 2018-01-31 ligger före klart-datumet 2018-02-28."
    ) in words
    a1 = get_action(app, world.a1)
    assert (a1.due_on, a1.evaluate_on) == (date(2018, 2, 28), date(2018, 1, 31))
    again = form_to(moved.text, "/andra")
    agreed = chef_client.post(
        again.action, data=again.data(tidsplan="Klart till februari 2018.", evaluate_on="")
    )
    assert "Ändringarna är sparade." in text_of(agreed.text)
    assert "Kontrollera datumen" not in text_of(agreed.text)


@pytest.mark.parametrize("typed", ["1999-12-31", "2101-01-01"])
def test_a_date_outside_the_plausible_years_is_refused_as_an_import_refuses_it(
    chef_client: TestClient, app: App, world: World, typed: str
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    refused = chef_client.post(form.action, data=form.data(due_on=typed))
    assert refused.status_code == 422
    assert f"Klart till: orimligt årtal i '{typed}' (ange ett år från 2000 till 2100)." in (
        text_of(refused.text)
    )
    assert get_action(app, world.a1).due_on == date(2018, 3, 31)


def test_a_refused_edit_keeps_the_new_tidsplan_and_dates_as_typed(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    typed = {
        "text": "",
        "tidsplan": "Klart till juni 2018.",
        "due_on": "2018-06-30",
        "evaluate_on": "2018-11-30",
    }
    refused = chef_client.post(form.action, data=form.data(**typed))
    assert refused.status_code == 422
    assert "Åtgärden måste fyllas i." in text_of(refused.text)
    again = form_to(refused.text, "/andra").fields
    assert {k: again[k] for k in typed} == typed
    assert get_action(app, world.a1).due_on == date(2018, 3, 31)


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("anna.berg", "Ogiltig e-postadress: 'anna.berg'."),
        # Nothing typed is asked for, not called an invalid address ('').
        ("  ", "Skriv en e-postadress, till exempel namn@kommun.se."),
    ],
)
def test_a_refused_owner_keeps_the_address_and_name_as_typed(
    chef_client: TestClient, app: App, world: World, email: str, reason: str
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    refused = chef_client.post(form.action, data=form.data(email=email, name="Anna Berg"))
    assert refused.status_code == 422
    assert reason in text_of(refused.text)
    assert "Ogiltig e-postadress: ''" not in text_of(refused.text)
    again = form_to(refused.text, "/ansvarig").fields
    assert (again["email"], again["name"]) == (email, "Anna Berg")
    assert (get_action(app, world.a1).owner_id, outbox(app)) == (world.anna.id, [])


def test_a_refused_move_to_another_area_keeps_the_area_chosen(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/omrade")
    with app.transaction() as s:
        other = s.exec(select(Area).where(Area.title == "Intern kontroll")).one()
        actions.note_progress(s, world.a1, world.anna, "Annas nya processläge", now=clock())
    stale = chef_client.post(form.action, data=form.data(area_id=str(other.id)))
    assert stale.status_code == 409
    assert form_to(stale.text, "/omrade").fields["area_id"] == str(other.id)
    assert get_action(app, world.a1).area_id == world.area_id


@pytest.mark.parametrize("field", ["text", "tidsplan"])
def test_a_nul_character_in_a_chef_form_is_refused_whole(
    chef_client: TestClient, app: App, world: World, field: str
) -> None:
    """Neither stored (SQLite would keep it) nor a server error (PostgreSQL refuses it)."""
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/andra")
    before = get_action(app, world.a1)
    done = chef_client.post(form.action, data=form.data(**{field: "Före\x00efter"}))
    assert done.status_code == 400
    assert "Formuläret är inte komplett" in text_of(done.text)
    after = get_action(app, world.a1)
    assert (after.text, after.tidsplan, after.version) == (
        before.text,
        before.tidsplan,
        before.version,
    )


def test_reassigning_queues_a_mail_and_cuts_the_old_owners_reach(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    from tests.web.helpers import owner_path

    annas = owner_path(app, world.anna, clock(), action_id=world.a1)
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    done = chef_client.post(
        form.action, data=form.data(email="bo.lind@pitea.example", name="Bo Lind")
    )
    assert "Bo Lind (bo.lind@pitea.example) är nu ansvarig." in text_of(done.text)
    assert get_action(app, world.a1).owner_id == world.bo.id
    [mail] = outbox(app)
    assert mail.to_addr == "bo.lind@pitea.example"
    assert "har inte dig som ansvarig längre" in text_of(chef_client.get(annas).text)
    same = form_to(done.text, "/ansvarig")
    again = chef_client.post(same.action, data=same.data(email="bo.lind@pitea.example"))
    assert again.status_code == 422
    assert "Bo Lind är redan ansvarig för åtgärden." in text_of(again.text)


def test_reassigning_to_a_colleagues_address_keeps_her_name_and_says_which_person_got_it(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        people.ensure_person(s, "eva.nordin@pitea.example", now=clock(), name="Eva Nordin")
    page = chef_client.get(f"/atgarder/{world.a1}").text
    form = form_to(page, "/ansvarig")
    # Nothing of the current owner is in the form to be carried over by mistake.
    assert (form.fields["email"], form.fields["name"]) == ("", "")
    # The chef types the current owner's name beside the new address.
    done = chef_client.post(
        form.action, data=form.data(email="eva.nordin@pitea.example", name="Anna Berg")
    )
    said = text_of(done.text)
    assert (
        "Eva Nordin (eva.nordin@pitea.example) är nu ansvarig. Namnet Anna Berg som skrevs in "
        "användes inte, eftersom eva.nordin@pitea.example redan hör till Eva Nordin."
    ) in said
    with app.transaction() as s:
        names = {p.email: p.name for p in s.exec(select(Person))}
    assert names["eva.nordin@pitea.example"] == "Eva Nordin"
    assert names["anna.berg@pitea.example"] == "Anna Berg"
    [mail] = outbox(app)
    assert "Hej Eva Nordin!" in mail.body_text
    # A name the person has, however it is typed, is no difference worth a word.
    form = form_to(done.text, "/ansvarig")
    back = chef_client.post(
        form.action, data=form.data(email="anna.berg@pitea.example", name="anna  berg")
    )
    assert "Anna Berg (anna.berg@pitea.example) är nu ansvarig. Ett e-post" in text_of(back.text)


def test_revoke_button_on_the_action_page_cuts_the_owners_links(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    from tests.web.helpers import owner_path

    annas = owner_path(app, world.anna, clock())
    assert chef_client.get(annas).status_code == 200
    clock.advance(minutes=1)
    page = chef_client.get(f"/atgarder/{world.a1}").text
    form = form_to(page, f"/personer/{world.anna.id}/aterkalla-lankar")
    # The button leads to a page that asks first; the links are cut only from there.
    asked = chef_client.post(form.action, data=form.data())
    assert asked.url.path == f"/personer/{world.anna.id}/aterkalla-lankar"
    assert chef_client.get(annas).status_code == 200
    confirm = form_to(asked.text, "/aterkalla-lankar")
    done = chef_client.post(confirm.action, data=confirm.data())
    assert done.url.path == f"/atgarder/{world.a1}"
    assert "fungerar inte längre" in text_of(done.text)
    assert "Länken har återkallats." in text_of(chef_client.get(annas).text)
    # "Skicka en ny länk" queues a link that works.
    send = form_to(done.text, "/skicka-lank")
    chef_client.post(send.action, data=send.data())
    [mail] = outbox(app)
    link = next(w for w in mail.body_text.split() if w.startswith("http://testserver/ansvarig/"))
    assert chef_client.get(path_of(link)).status_code == 200


def test_person_page_lists_their_actions_and_revokes_links(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = chef_client.get(f"/personer/{world.anna.id}")
    words = text_of(page.text)
    assert "Anna Berg" in words and "Ansvarig" in words
    assert "Ta fram rutin för handläggning" in words and "Utbilda handläggarna" not in words
    asked = chef_client.get(f"/personer/{world.anna.id}/aterkalla-lankar")
    form = form_to(asked.text, "/aterkalla-lankar")
    done = chef_client.post(form.action, data=form.data())
    assert "Länkar återkallade 2018-01-10 10:00" in text_of(done.text)


# --- who may do what -----------------------------------------------------------------------


def test_a_chef_of_another_forvaltning_neither_sees_nor_changes_the_plan(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, other_chef(app, clock), clock())
    assert "ekonomiskt bistånd" not in text_of(client.get("/planer").text)
    assert client.get(f"/planer/{world.plan_id}").status_code == 403
    assert client.get(f"/atgarder/{world.a1}").status_code == 403
    assert client.get(f"/planer/{world.plan_id}/export.xlsx").status_code == 403
    csrf = form_to(client.get("/planer").text, "/logga-ut").fields["csrf"]
    before = get_action(app, world.a1).version
    for path, data in [
        (f"/atgarder/{world.a1}/uppdatera", {"version": "1", "trigger": "starta"}),
        (f"/atgarder/{world.a1}/andra", {"version": "1", "text": "Kapad"}),
        (f"/atgarder/{world.a1}/ansvarig", {"version": "1", "email": "kim.ek@pitea.example"}),
        (f"/planer/{world.plan_id}/omraden", {"title": "Kapad"}),
    ]:
        r = client.post(path, data={**data, "csrf": csrf})
        assert r.status_code == 403, path
        assert "Planen hör till Utbildningsförvaltningen." in text_of(r.text)
    assert get_action(app, world.a1).version == before


def test_board_reader_reads_plans_and_actions_but_changes_nothing(
    client: TestClient, app: App, world: World, board: Person, clock: MovableClock
) -> None:
    log_in(client, app, board, clock())
    assert "Ny åtgärdsplan" not in text_of(client.get("/planer").text)
    plan_page = client.get(f"/planer/{world.plan_id}")
    assert plan_page.status_code == 200
    assert "Lägg till en åtgärd" not in text_of(plan_page.text)
    action_page = client.get(f"/atgarder/{world.a1}")
    assert action_page.status_code == 200
    assert "Historik" in text_of(action_page.text)
    assert not [f for f in forms(action_page.text) if "/atgarder/" in f.action]
    csrf = form_to(action_page.text, "/logga-ut").fields["csrf"]
    r = client.post(
        f"/atgarder/{world.a1}/uppdatera", data={"csrf": csrf, "version": "1", "text": "x"}
    )
    assert r.status_code == 403
    assert "Du kan läsa planer och rapporter men inte ändra dem." in text_of(r.text)
    assert client.get("/planer/ny").status_code == 403
    assert client.get(f"/personer/{world.anna.id}").status_code == 403
    assert get_action(app, world.a1).version == 1


def test_unknown_pages_and_ids_get_swedish_not_found(chef_client: TestClient, world: World) -> None:
    assert "Ingen åtgärdsplan med nummer 999." in text_of(chef_client.get("/planer/999").text)
    assert "Ingen åtgärd med nummer 999." in text_of(chef_client.get("/atgarder/999").text)
    r = chef_client.get("/finns-inte")
    assert r.status_code == 404 and "Sidan finns inte" in text_of(r.text)


# --- import and export ---------------------------------------------------------------------


def test_export_downloads_the_plan_and_import_reads_it_back(
    chef_client: TestClient, app: App, world: World
) -> None:
    xlsx = chef_client.get(f"/planer/{world.plan_id}/export.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["Åtgärder"]
    texts = [row[2] for row in sheet.iter_rows(values_only=True)]
    assert "Ta fram rutin för handläggning" in texts
    csv = chef_client.get(f"/planer/{world.plan_id}/export.csv")
    assert "Utbilda handläggarna" in csv.content.decode("utf-8-sig")


def test_import_of_a_good_file_creates_the_plan_in_the_chefs_forvaltning(
    chef_client: TestClient, app: App, world: World
) -> None:
    csv = (
        "Utvecklingsområde;Åtgärd;Ansvarig;E-post;Tidsplan;Status\n"
        "Nytt område;Ny åtgärd;Eva Ek;eva.ek@pitea.example;Klart till mars 2018;Pågår\n"
    ).encode()
    form = form_to(chef_client.get("/planer/import").text, "/planer/import")
    checked = chef_client.post(
        form.action,
        data=form.data(title="Importerad plan", dry_run="1"),
        files={"file": ("plan.csv", csv, "text/csv")},
    )
    assert "Provkörning: filen gick att läsa, men ingenting sparades." in text_of(checked.text)
    with app.transaction() as s:
        assert s.exec(select(Plan).where(Plan.title == "Importerad plan")).first() is None
    done = chef_client.post(
        form.action,
        data=form.data(title="Importerad plan"),
        files={"file": ("plan.csv", csv, "text/csv")},
    )
    assert done.status_code == 200, done.text
    words = text_of(done.text)
    assert "plan.csv är importerad." in words
    assert "Åtgärder: 1 nya, 0 ändrade, 0 oförändrade." in words
    with app.transaction() as s:
        plan = s.exec(select(Plan).where(Plan.title == "Importerad plan")).one()
    assert plan.forvaltning == world.chef.forvaltning


def test_import_of_a_bad_file_lists_its_errors_and_saves_nothing(
    chef_client: TestClient, app: App, world: World
) -> None:
    csv = (
        "Utvecklingsområde;Åtgärd;Ansvarig;E-post;Tidsplan;Status\n"
        "Nytt område;Ny åtgärd;Eva;inte-en-adress;Klart till mars 2018;Pågår\n"
        ";Åtgärd utan område;;;;Okänt läge\n"
    ).encode()
    form = form_to(chef_client.get("/planer/import").text, "/planer/import")
    done = chef_client.post(
        form.action,
        data=form.data(title="Importerad plan"),
        files={"file": ("plan.csv", csv, "text/csv")},
    )
    assert done.status_code == 422
    words = text_of(done.text)
    assert "plan.csv importerades inte." in words
    assert "Rad 2" in words and "Rad 3" in words
    with app.transaction() as s:
        assert s.exec(select(Plan).where(Plan.title == "Importerad plan")).first() is None
    empty = chef_client.post(form.action, data=form.data())
    assert "Välj en CSV- eller XLSX-fil att importera." in text_of(empty.text)


def test_an_upload_may_be_larger_than_a_form_but_not_without_bound(
    chef_client: TestClient, app: App, world: World
) -> None:
    """A plan file of some thousand rows is read (here: refused for its content, with rows
    and columns); a body beyond the upload limit is refused before it is read."""
    header = "Utvecklingsområde;Åtgärd;Ansvarig;E-post;Tidsplan;Status\n"
    rows = "".join(f"Område {n};Åtgärd {n};Eva;inte-en-adress;;Pågår\n" for n in range(6000))
    big = (header + rows).encode()
    assert FORM_LIMIT < len(big) < UPLOAD_LIMIT
    form = form_to(chef_client.get("/planer/import").text, "/planer/import")
    read = chef_client.post(
        form.action,
        data=form.data(title="Stor plan"),
        files={"file": ("plan.csv", big, "text/csv")},
    )
    assert read.status_code == 422
    assert "Rad 2" in text_of(read.text)
    too_big = chef_client.post(
        form.action,
        data=form.data(title="Stor plan"),
        files={"file": ("plan.csv", b"x" * (UPLOAD_LIMIT + 1), "text/csv")},
    )
    assert too_big.status_code == 413
    assert "Formuläret eller filen är för stor" in text_of(too_big.text)
    with app.transaction() as s:
        assert s.exec(select(Plan).where(Plan.title == "Stor plan")).first() is None


# --- names and addresses as typed ---------------------------------------------------------


def test_a_name_with_line_breaks_is_stored_on_one_line_and_adds_no_line_to_the_mail(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    done = chef_client.post(
        form.action,
        data=form.data(
            email="cecilia.holm@pitea.example",
            name="Cecilia\x07 Holm\r\nBcc: alla@pitea.example\tX-Extra:\x1b ja",
        ),
    )
    assert done.status_code == 200, done.text
    with app.transaction() as s:
        person = people.get_person(s, "cecilia.holm@pitea.example")
    assert person.name == "Cecilia Holm Bcc: alla@pitea.example X-Extra: ja"
    [mail] = outbox(app)
    assert f"Hej {person.name}!" in mail.body_text
    lines = mail.body_text.splitlines()
    assert not [line for line in lines if line.startswith(("Bcc:", "X-Extra:"))]
    assert not any(ch in mail.body_text for ch in "\x07\x1b\t\r")


def test_a_name_of_only_control_characters_is_refused_and_nothing_changes(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    done = chef_client.post(
        form.action, data=form.data(email="cecilia.holm@pitea.example", name="\x07\x1b")
    )
    assert done.status_code == 422
    assert "Namnet innehåller bara tecken som inte kan visas." in text_of(done.text)
    assert get_action(app, world.a1).owner_id == world.anna.id
    assert outbox(app) == []


def test_an_owner_address_with_a_swedish_domain_or_local_part_is_taken(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    done = chef_client.post(
        form.action, data=form.data(email="Åsa.Öst@Kommunförvaltning.example", name="Åsa Öst")
    )
    assert "Åsa Öst (åsa.öst@kommunförvaltning.example) är nu ansvarig." in text_of(done.text)
    [mail] = outbox(app)
    assert mail.to_addr == "åsa.öst@kommunförvaltning.example"


def test_an_owner_address_that_could_never_be_sent_to_is_refused_in_swedish(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get(f"/atgarder/{world.a1}").text, "/ansvarig")
    done = chef_client.post(form.action, data=form.data(email="a@snö☃.example", name="A"))
    assert done.status_code == 422
    assert "Domänen 'snö☃.example' i e-postadressen kan inte användas" in text_of(done.text)
    assert get_action(app, world.a1).owner_id == world.anna.id
    assert outbox(app) == []
