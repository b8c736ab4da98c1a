"""The people page: whom a chef sees, with open and late åtgärder and their last answer;
adding a person; a role change and revoked links, each only after a confirmation and each
ending the person's log-ins; and sending a person's link again."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.support import builders as b
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, forms, log_in, owner_path, path_of, text_of
from tracker.app import App
from tracker.models import OutboxMessage, Person, Plan, Role
from tracker.services import actions, people

CULTURE = "Kultur- och fritidsförvaltningen"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def person(app: App, clock: MovableClock, email: str, role: Role, forvaltning: str) -> Person:
    return b.person(
        app, email, email.split("@")[0].title(), now=clock(), role=role, forvaltning=forvaltning
    )


def get_person(app: App, person_id: int | None) -> Person:
    with app.transaction() as s:
        return s.get_one(Person, person_id)


def outbox(app: App) -> list[OutboxMessage]:
    with app.transaction() as s:
        return list(s.exec(select(OutboxMessage)).all())


def row_of(html: str, person_id: int | None) -> str:
    """The words of one person's row in the table."""
    found = re.search(rf'<tr id="person-{person_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for person {person_id}"
    return text_of(found.group(1))


@pytest.fixture
def elsewhere(app: App, clock: MovableClock) -> Person:
    """An owner in another förvaltning, with an åtgärd in its plan."""
    eva = person(app, clock, "eva.ek@pitea.example", Role.owner, CULTURE)
    _, area = b.plan(app, now=clock(), title="Kulturplan", forvaltning=CULTURE)
    b.action(app, area, "Bibliotekets öppettider", now=clock(), owner=eva)
    return eva


# --- the list -----------------------------------------------------------------------------


def test_a_chef_sees_their_forvaltnings_people_with_open_and_late_atgarder_and_last_answer(
    chef_client: TestClient, app: App, world: World, clock: MovableClock, elsewhere: Person
) -> None:
    clock.advance(days=30)
    with app.transaction() as s:  # Anna answers on a1 through her link
        actions.note_progress(s, world.a1, world.anna, "Rutinen skrivs.", now=clock())
        # The chef's own processläge on Bo's åtgärd is no answer of Bo's.
        actions.note_progress(s, world.b1, world.chef, "Ringt Bo.", now=clock())
    clock.advance(days=30)  # b1 (due 2018-02-28) is late now, a1 (2018-03-31) not yet
    log_in(chef_client, app, world.chef, clock())
    page = chef_client.get("/personer")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Personer i Utbildningsförvaltningen" in words
    # Name, e-mail, role, open, late, last answered.
    assert row_of(page.text, world.anna.id) == (
        "Anna Berg anna.berg@pitea.example Ansvarig 2 0 2018-02-09 10:00"
    )
    assert row_of(page.text, world.bo.id) == "Bo Lind bo.lind@pitea.example Ansvarig 1 1 Aldrig"
    assert "Eva" not in words and "eva.ek@pitea.example" not in words


def test_a_chef_of_another_forvaltning_sees_and_changes_none_of_them(
    client: TestClient, app: App, world: World, clock: MovableClock, elsewhere: Person
) -> None:
    other = person(app, clock, "kim.ek@pitea.example", Role.chef, CULTURE)
    log_in(client, app, other, clock())
    words = text_of(client.get("/personer").text)
    assert "eva.ek@pitea.example" in words
    for hidden in ("Anna Berg", "Bo Lind", "Malin Westling"):
        assert hidden not in words
    anna = world.anna.id
    assert client.get(f"/personer/{anna}").status_code == 403
    assert client.get(f"/personer/{anna}/roll?roll=board").status_code == 403
    assert client.get(f"/personer/{anna}/aterkalla-lankar").status_code == 403
    csrf = form_to(client.get("/personer").text, "/personer").fields["csrf"]
    for path, data in [
        (f"/personer/{anna}/roll", {"roll": "chef", "bekraftat": "ja"}),
        (f"/personer/{anna}/aterkalla-lankar", {"bekraftat": "ja"}),
        (f"/personer/{anna}/skicka-lank", {}),
    ]:
        assert client.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    after = get_person(app, anna)
    assert (after.role, after.links_valid_after) == (Role.owner.value, None)
    assert outbox(app) == []


def test_an_admin_sees_everyone_and_filters_by_forvaltning(
    client: TestClient, app: App, world: World, clock: MovableClock, elsewhere: Person
) -> None:
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    everyone = text_of(client.get("/personer").text)
    for name in ("Anna Berg", "Bo Lind", "Malin Westling", "eva.ek@", "admin@"):
        assert name in everyone
    filt = next(f for f in forms(client.get("/personer").text) if f.method == "get")
    assert filt.action == "/personer"
    culture = text_of(client.get("/personer", params={"forvaltning": CULTURE}).text)
    assert "Eva" in culture and "Anna Berg" not in culture and "Malin Westling" not in culture
    # Owners of no förvaltning belong where their åtgärder are.
    education = text_of(
        client.get("/personer", params={"forvaltning": "Utbildningsförvaltningen"}).text
    )
    assert "Anna Berg" in education and "Malin Westling" in education and "Eva" not in education


def test_an_admin_moves_a_chef_to_another_forvaltning_and_the_chef_s_plans_follow_the_rule(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    with app.transaction() as s:
        plan = s.get_one(Plan, world.plan_id)
        plan.chef_id = world.chef.id
        s.add(plan)
    log_in(client, app, admin, clock())
    form = form_to(client.get(f"/personer/{world.chef.id}").text, "/forvaltning")
    assert form.fields["forvaltning"] == "Utbildningsförvaltningen"
    done = client.post(form.action, data=form.data(forvaltning=CULTURE))
    assert f"Malin Westling hör nu till {CULTURE} (tidigare Utbildningsförvaltningen)." in text_of(
        done.text
    )
    moved = get_person(app, world.chef.id)
    assert (moved.forvaltning, moved.role) == (CULTURE, Role.chef.value)
    with app.transaction() as s:
        assert s.get_one(Plan, world.plan_id).chef_id is None

    # The chef no longer changes the plan of the förvaltning left; nor moves anyone.
    log_in(client, app, moved, clock())
    assert client.get(f"/planer/{world.plan_id}/installningar").status_code == 403
    page = client.get(f"/personer/{world.chef.id}").text
    assert "/forvaltning" not in page


def test_a_known_forvaltning_spelled_in_other_capitals_is_refused_with_what_was_typed_kept(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """A chef moved to "utbildningsförvaltningen" would read none of Utbildningsförvaltningen's
    plans (a förvaltning is matched by its exact name): the move is refused on the person's
    page, naming the förvaltning meant, with the name as typed in its box."""
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    form = form_to(client.get(f"/personer/{world.anna.id}").text, "/forvaltning")
    done = client.post(form.action, data=form.data(forvaltning="utbildningsförvaltningen"))
    assert done.status_code == 422
    assert "Menar du Utbildningsförvaltningen?" in text_of(done.text)
    kept = form_to(done.text, "/forvaltning")
    assert kept.fields["forvaltning"] == "utbildningsförvaltningen"
    assert get_person(app, world.anna.id).forvaltning == ""
    # A förvaltning nobody is in yet is a new one: its first person is put in it.
    done = client.post(form.action, data=form.data(forvaltning=CULTURE))
    assert f"Anna Berg hör nu till {CULTURE}" in text_of(done.text)


def test_an_admin_who_leaves_out_the_forvaltning_of_a_chef_is_told_it_is_the_whole_kommun(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    form = form_to(client.get("/personer").text, "/personer")
    done = client.post(
        form.action,
        data=form.data(name="Kim Sand", email="kim.sand@pitea.example", role="chef"),
    )
    assert (
        "Kim Sand är tillagd som chef. Utan förvaltning kan Kim Sand läsa alla förvaltningars "
        "planer och ändra dem; ange en förvaltning på personens sida om det inte är meningen."
    ) in text_of(done.text)
    owner = client.post(form.action, data=form.data(email="ola.ek@pitea.example", role="owner"))
    assert "Utan förvaltning" not in text_of(owner.text)


def test_a_chef_s_filter_is_their_own_forvaltning_whatever_the_address_says(
    chef_client: TestClient, world: World, elsewhere: Person
) -> None:
    words = text_of(chef_client.get("/personer", params={"forvaltning": CULTURE}).text)
    assert "Anna Berg" in words and "eva.ek@pitea.example" not in words


# --- adding a person ----------------------------------------------------------------------


def test_a_chef_adds_a_person_to_their_forvaltning(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get("/personer").text, "/personer")
    roles = re.findall(r'<option value="(\w+)"', chef_client.get("/personer").text)
    assert "admin" not in roles and {"owner", "chef", "board"} <= set(roles)
    done = chef_client.post(
        form.action, data=form.data(name="Åsa Öberg", email="Asa.Oberg@pitea.example")
    )
    assert done.status_code == 200
    assert "Åsa Öberg är tillagd som ansvarig." in text_of(done.text)
    with app.transaction() as s:
        added = people.get_person(s, "asa.oberg@pitea.example")
    assert (added.name, added.role, added.forvaltning) == (
        "Åsa Öberg",
        Role.owner.value,
        "Utbildningsförvaltningen",
    )
    assert done.url.path == f"/personer/{added.id}"
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("anna.berg@pitea.example", "Det finns redan en person med e-postadressen"),
        ("inte en adress", "Ogiltig e-postadress: 'inte en adress'."),
    ],
)
def test_a_known_or_invalid_address_is_refused_and_the_form_kept(
    chef_client: TestClient, app: App, world: World, email: str, message: str
) -> None:
    form = form_to(chef_client.get("/personer").text, "/personer")
    done = chef_client.post(form.action, data=form.data(name="Ny Person", email=email))
    assert done.status_code == 422
    assert message in text_of(done.text)
    assert 'value="Ny Person"' in done.text
    assert get_person(app, world.anna.id).name == "Anna Berg"
    with app.transaction() as s:
        assert s.exec(select(Person).where(Person.name == "Ny Person")).first() is None


def test_a_chef_may_not_add_an_admin(chef_client: TestClient, app: App) -> None:
    form = form_to(chef_client.get("/personer").text, "/personer")
    done = chef_client.post(form.action, data=form.data(email="ny@pitea.example", role="admin"))
    assert done.status_code == 403
    assert "Bara en administratör kan göra någon till administratör." in text_of(done.text)
    with app.transaction() as s:
        assert people.find_person(s, "ny@pitea.example") is None


# --- changing a role ----------------------------------------------------------------------


@pytest.fixture
def reader(app: App, world: World, clock: MovableClock) -> Person:
    return person(app, clock, "namnd@pitea.example", Role.board, world.chef.forvaltning)


def test_a_role_change_is_confirmed_first_and_ends_the_persons_log_ins(
    web: FastAPI, app: App, world: World, clock: MovableClock, reader: Person
) -> None:
    with TestClient(web) as chefs, TestClient(web) as readers:
        log_in(chefs, app, world.chef, clock())
        log_in(readers, app, reader, clock())
        assert readers.get("/planer", follow_redirects=False).status_code == 200
        page = chefs.get(f"/personer/{reader.id}").text
        [choose] = [f for f in forms(page) if f.action.endswith("/roll")]
        assert choose.method == "get"  # choosing changes nothing
        asked = chefs.get(choose.action, params={"roll": "owner"})
        assert "får rollen ansvarig i stället för nämnd (läsare)" in text_of(asked.text)
        confirm = form_to(asked.text, "/roll")
        # A post without the confirmation only leads to the question.
        unconfirmed = {k: v for k, v in confirm.data().items() if k != "bekraftat"}
        again = chefs.post(confirm.action, data=unconfirmed)
        assert again.url.path == f"/personer/{reader.id}/roll"
        assert get_person(app, reader.id).role == Role.board.value
        assert readers.get("/planer", follow_redirects=False).status_code == 200
        done = chefs.post(confirm.action, data=confirm.data())
        assert "Namnd har nu rollen ansvarig. Personens inloggningar har avslutats." in (
            text_of(done.text)
        )
        assert get_person(app, reader.id).role == Role.owner.value
        ended = readers.get("/planer", follow_redirects=False)
        assert (ended.status_code, ended.headers["location"]) == (303, "/logga-in")


def test_a_chef_may_make_no_one_admin_nor_change_an_admins_or_their_own_role(
    chef_client: TestClient, app: App, world: World, clock: MovableClock, reader: Person
) -> None:
    page = chef_client.get(f"/personer/{reader.id}").text
    assert 'value="admin"' not in page
    assert chef_client.get(f"/personer/{reader.id}/roll?roll=admin").status_code == 403
    csrf = form_to(page, "/skicka-lank").fields["csrf"]
    done = chef_client.post(
        f"/personer/{reader.id}/roll", data={"roll": "admin", "bekraftat": "ja", "csrf": csrf}
    )
    assert done.status_code == 403
    assert "Bara en administratör kan göra någon till administratör." in text_of(done.text)
    admin = person(app, clock, "admin@pitea.example", Role.admin, world.chef.forvaltning)
    for who in (admin, world.chef):
        r = chef_client.post(
            f"/personer/{who.id}/roll", data={"roll": "owner", "bekraftat": "ja", "csrf": csrf}
        )
        assert r.status_code == 403
    assert [get_person(app, p.id).role for p in (reader, admin, world.chef)] == [
        Role.board.value,
        Role.admin.value,
        Role.chef.value,
    ]
    assert not [
        f for f in forms(chef_client.get(f"/personer/{world.chef.id}").text) if "/roll" in f.action
    ]


def test_an_admin_may_make_a_chef_admin(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    asked = client.get(f"/personer/{world.chef.id}/roll", params={"roll": "admin"})
    done = client.post(
        form_to(asked.text, "/roll").action, data=form_to(asked.text, "/roll").data()
    )
    assert done.status_code == 200
    assert get_person(app, world.chef.id).role == Role.admin.value


# --- links --------------------------------------------------------------------------------


def test_revoking_links_is_confirmed_first(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    link = owner_path(app, world.anna, clock())
    clock.advance(minutes=1)
    page = chef_client.get(f"/personer/{world.anna.id}").text
    assert not [f for f in forms(page) if "/aterkalla-lankar" in f.action]  # no one-click form
    asked = chef_client.get(f"/personer/{world.anna.id}/aterkalla-lankar")
    assert "Alla länkar som skickats till anna.berg@pitea.example hittills slutar fungera." in (
        text_of(asked.text)
    )
    confirm = form_to(asked.text, "/aterkalla-lankar")
    unconfirmed = {k: v for k, v in confirm.data().items() if k != "bekraftat"}
    assert chef_client.post(confirm.action, data=unconfirmed).url.path.endswith("/aterkalla-lankar")
    assert get_person(app, world.anna.id).links_valid_after is None
    assert chef_client.get(link).status_code == 200
    done = chef_client.post(confirm.action, data=confirm.data())
    assert done.url.path == f"/personer/{world.anna.id}"
    assert get_person(app, world.anna.id).links_valid_after == clock()
    assert chef_client.get(link).status_code == 403


def test_sending_a_link_again_queues_the_owner_s_link_within_the_hourly_limit(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    page = chef_client.get(f"/personer/{world.anna.id}").text
    send = form_to(page, "/skicka-lank")
    done = chef_client.post(send.action, data=send.data())
    assert "En ny länk till anna.berg@pitea.example ligger i utkorgen." in text_of(done.text)
    [mail] = outbox(app)
    assert (mail.to_addr, mail.kind) == ("anna.berg@pitea.example", "lank")
    url = next(w for w in mail.body_text.split() if w.startswith("http://testserver/ansvarig/"))
    assert "Ta fram rutin för handläggning" in text_of(chef_client.get(path_of(url)).text)
    for _ in range(app.settings.link_requests_per_hour - 1):
        chef_client.post(send.action, data=send.data())
    refused = chef_client.post(send.action, data=send.data())
    assert refused.status_code == 422
    assert "den senaste timmen" in text_of(refused.text)
    assert len(outbox(app)) == app.settings.link_requests_per_hour


def test_a_person_who_logs_in_gets_a_log_in_link(
    chef_client: TestClient, app: App, reader: Person
) -> None:
    send = form_to(chef_client.get(f"/personer/{reader.id}").text, "/skicka-lank")
    done = chef_client.post(send.action, data=send.data())
    assert "En inloggningslänk till namnd@pitea.example ligger i utkorgen." in text_of(done.text)
    [mail] = outbox(app)
    assert (mail.to_addr, mail.kind) == ("namnd@pitea.example", "inloggning")


def test_the_people_page_is_in_the_menu_of_chefs_and_admins_only(
    client: TestClient, app: App, world: World, clock: MovableClock, reader: Person
) -> None:
    log_in(client, app, world.chef, clock())
    assert 'href="/personer"' in client.get("/planer").text
    log_in(client, app, reader, clock())
    assert 'href="/personer"' not in client.get("/planer").text
    assert client.get("/personer").status_code == 403


def test_the_person_page_counts_their_atgarder(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    clock.advance(days=100)  # both dated åtgärder of Anna's and Bo's past due
    log_in(chef_client, app, world.chef, clock())
    words = text_of(chef_client.get(f"/personer/{world.anna.id}").text)
    assert "Öppna åtgärder 2 Försenade 1 Senast svarat Aldrig" in words
    assert date(2018, 3, 31) < clock().date()


def test_a_chef_gives_no_log_in_to_a_person_of_no_forvaltning(
    chef_client: TestClient, app: App, world: World
) -> None:
    # Anna belongs to no förvaltning: as a chef or reader she would see every one.
    page = chef_client.get(f"/personer/{world.anna.id}").text
    assert re.findall(r'<option value="(\w+)"', page) == []
    refused = chef_client.get(f"/personer/{world.anna.id}/roll?roll=chef")
    assert refused.status_code == 403
    assert "Anna Berg hör inte till Utbildningsförvaltningen." in text_of(refused.text)
    csrf = form_to(page, "/skicka-lank").fields["csrf"]
    done = chef_client.post(
        f"/personer/{world.anna.id}/roll", data={"roll": "board", "bekraftat": "ja", "csrf": csrf}
    )
    assert done.status_code == 403
    assert get_person(app, world.anna.id).role == Role.owner.value


def test_a_chef_turns_their_daily_summary_on_and_off_on_their_own_page(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = f"/personer/{world.chef.id}"
    assert "Dagssammanfattning" in text_of(chef_client.get(page).text)
    assert not get_person(app, world.chef.id).daily_summary

    form = form_to(chef_client.get(page).text, "/personer/mig/dagssammanfattning")
    done = chef_client.post(form.action, data=form.data())
    assert done.status_code == 200 and path_of(str(done.url)) == page
    assert "Du får en dagssammanfattning varje arbetsdag" in text_of(done.text)
    assert get_person(app, world.chef.id).daily_summary

    form = form_to(done.text, "/personer/mig/dagssammanfattning")
    assert form.fields["dagssammanfattning"] == "av"
    done = chef_client.post(form.action, data=form.data())
    assert "Du får inte längre någon dagssammanfattning." in text_of(done.text)
    assert not get_person(app, world.chef.id).daily_summary


def test_the_daily_summary_is_chosen_only_on_ones_own_page(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = chef_client.get(f"/personer/{world.anna.id}").text
    assert "/personer/mig/dagssammanfattning" not in page
    csrf = form_to(chef_client.get("/personer").text, "/personer").fields["csrf"]
    refused = chef_client.post(
        "/personer/mig/dagssammanfattning", data={"dagssammanfattning": "kanske", "csrf": csrf}
    )
    assert refused.status_code == 422
    assert not get_person(app, world.chef.id).daily_summary


def test_a_chef_renames_a_person_of_their_forvaltning_on_the_persons_page(
    chef_client: TestClient, app: App, world: World, clock: MovableClock, elsewhere: Person
) -> None:
    page = chef_client.get(f"/personer/{world.anna.id}").text
    form = form_to(page, f"/personer/{world.anna.id}/namn")
    assert form.fields["name"] == "Anna Berg"
    done = chef_client.post(form.action, data=form.data(name="Anna Bergström"))
    assert "Anna Berg heter nu Anna Bergström" in text_of(done.text)
    assert get_person(app, world.anna.id).name == "Anna Bergström"
    # Not someone of another förvaltning, whose page the chef cannot reach either.
    refused = chef_client.post(
        f"/personer/{elsewhere.id}/namn", data={**form.fields, "name": "Eva Annan"}
    )
    assert refused.status_code == 403
    assert get_person(app, elsewhere.id).name == "Eva.Ek"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "elsewhere", ["/\t/evil.example", "/\r/evil.example", "/\x0b/evil.example", "\t//evil.example"]
)
def test_a_return_address_a_browser_reads_as_another_site_is_not_followed(
    chef_client: TestClient, world: World, elsewhere: str
) -> None:
    # A browser drops tabs and line breaks from an address, so "/\t/x" leads to //x.
    own = f"/personer/{world.anna.id}"
    asked = chef_client.get(f"{own}/aterkalla-lankar", params={"tillbaka": elsewhere})
    [cancel] = re.findall(r'<a href="([^"]*)">Avbryt</a>', asked.text)
    assert unescape(cancel) == own
    confirm = form_to(asked.text, "/aterkalla-lankar")
    assert confirm.fields["tillbaka"] == own
    done = chef_client.post(
        confirm.action,
        data=confirm.data(tillbaka=elsewhere),
        follow_redirects=False,
    )
    assert done.headers["location"] == own


def test_a_new_person_in_a_known_forvaltning_spelled_in_other_capitals_is_refused(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    """As a move is (above): the new person would belong to no plan's förvaltning."""
    admin = person(app, clock, "admin@pitea.example", Role.admin, "")
    log_in(client, app, admin, clock())
    form = form_to(client.get("/personer").text, "/personer")
    typed = form.data(
        name="Kim Sand",
        email="kim.sand@pitea.example",
        role="chef",
        forvaltning="UTBILDNINGSFÖRVALTNINGEN",
    )
    done = client.post(form.action, data=typed)
    assert done.status_code == 422
    assert "Menar du Utbildningsförvaltningen?" in text_of(done.text)
    assert 'value="UTBILDNINGSFÖRVALTNINGEN"' in done.text
    with app.transaction() as s:
        assert s.exec(select(Person).where(Person.name == "Kim Sand")).first() is None
