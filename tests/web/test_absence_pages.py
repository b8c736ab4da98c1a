"""The page of absences and deputies: a chef registers their own, an admin anyone's; a
refused form comes back with the reason and what was typed, and changes nothing."""

from __future__ import annotations

from datetime import date, datetime

from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.web.helpers import form_to, log_in, text_of
from tracker.app import App
from tracker.models import Person, Role
from tracker.services import absences


def deputy(app: App, now: datetime) -> Person:
    return b.person(
        app,
        "dana.ersattare@pitea.example",
        "Dana Ersättare",
        now=now,
        role=Role.chef,
        forvaltning="Kommunledningsförvaltningen",
    )


def listed(app: App, now: datetime) -> list[tuple[str, str, str, str]]:
    with app.transaction() as s:
        return [
            (
                v.person.email,
                v.deputy.email,
                v.absence.starts_on.isoformat(),
                v.absence.ends_on.isoformat(),
            )
            for v in absences.list_absences(s, today=now.date())
        ]


def test_a_chef_registers_their_own_absence_and_removes_it(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    dana = deputy(app, now)
    log_in(client, app, chef, now)
    assert "Frånvaro och ersättare" in client.get("/personer").text
    page = client.get("/franvaro")
    assert page.status_code == 200
    assert "Din egen frånvaro." in text_of(page.text)
    form = form_to(page.text, "/franvaro")
    done = client.post(
        form.action,
        data=form.data(deputy=str(dana.id), starts_on="2018-07-02", ends_on="2018-07-27"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = text_of(client.get("/franvaro").text)
    assert "Malin Westling är borta 2018-07-02–2018-07-27; Dana Ersättare är ersättare." in page
    assert "Malin Westling Dana Ersättare <dana.ersattare@pitea.example> 2018-07-02 2018-07-27" in (
        page
    )
    assert listed(app, now) == [(chef.email, dana.email, "2018-07-02", "2018-07-27")]

    remove = form_to(client.get("/franvaro").text, "/ta-bort")
    done = client.post(remove.action, data=remove.data(), follow_redirects=False)
    assert done.status_code == 303
    assert "är borttagen" in text_of(client.get("/franvaro").text)
    assert listed(app, now) == []


def test_a_refused_absence_shows_why_keeps_what_was_typed_and_saves_nothing(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    dana = deputy(app, now)
    log_in(client, app, chef, now)
    form = form_to(client.get("/franvaro").text, "/franvaro")
    refused = client.post(
        form.action,
        data=form.data(deputy=str(dana.id), starts_on="2018-07-27", ends_on="2018-07-02"),
    )
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert "Sista dagen ligger före första dagen." in page
    again = form_to(refused.text, "/franvaro")
    assert (again.fields["starts_on"], again.fields["ends_on"]) == ("2018-07-27", "2018-07-02")
    assert f'<option value="{dana.id}" selected>' in refused.text
    for data, message in (
        (form.data(deputy="", starts_on="2018-07-02", ends_on="2018-07-27"), "Välj en ersättare"),
        (
            form.data(deputy=str(dana.id), starts_on="2 juli", ends_on="2018-07-27"),
            "Första dagen: skriv datumet som ÅÅÅÅ-MM-DD",
        ),
        (
            form.data(deputy=str(chef.id), starts_on="2018-07-02", ends_on="2018-07-27"),
            "En person kan inte vara sin egen ersättare.",
        ),
    ):
        refused = client.post(form.action, data=data)
        assert refused.status_code == 422
        assert message in text_of(refused.text)
    assert listed(app, now) == []


def test_a_chef_may_not_register_someone_elses_absence_but_an_admin_may(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    dana = deputy(app, now)
    other = b.person(app, "ulf@pitea.example", "Ulf Chef", now=now, role=Role.chef)
    log_in(client, app, chef, now)
    form = form_to(client.get("/franvaro").text, "/franvaro")
    refused = client.post(
        form.action,
        data=form.data(
            person=str(other.id), deputy=str(dana.id), starts_on="2018-07-02", ends_on="2018-07-27"
        ),
    )
    assert refused.status_code == 403
    assert "Du kan bara lägga in din egen frånvaro" in text_of(refused.text)
    assert listed(app, now) == []

    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=now, role=Role.admin)
    with TestClient(client.app) as as_admin:
        log_in(as_admin, app, admin, now)
        page = as_admin.get("/franvaro")
        assert 'id="borta"' in page.text
        form = form_to(page.text, "/franvaro")
        done = as_admin.post(
            form.action,
            data=form.data(
                person=str(other.id),
                deputy=str(dana.id),
                starts_on="2018-07-02",
                ends_on="2018-07-27",
            ),
            follow_redirects=False,
        )
        assert done.status_code == 303
    assert listed(app, now) == [(other.email, dana.email, "2018-07-02", "2018-07-27")]
    # The chef sees it, with no button to remove it.
    page = client.get("/franvaro").text
    assert "Ulf Chef" in text_of(page)
    assert "/ta-bort" not in page


def test_the_start_page_tells_the_chef_away_and_the_deputy_standing_in(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    dana = deputy(app, now)
    with app.transaction() as s:
        absences.add_absence(
            s,
            chef,
            chef,
            dana,
            starts_on=now.date(),
            ends_on=date(2018, 1, 19),
            now=now,
            today=now.date(),
        )
    log_in(client, app, chef, now)
    page = text_of(client.get("/start").text)
    assert (
        "Du är borta 2018-01-10–2018-01-19: Dana Ersättare är ersättare och tar "
        "emot dina eskaleringar."
    ) in page
    with TestClient(client.app) as as_deputy:
        log_in(as_deputy, app, dana, now)
        page = text_of(as_deputy.get("/start").text)
    assert (
        "Du är ersättare för Malin Westling, som är borta till och med 2018-01-19: "
        "eskaleringar till hen kommer till dig och står nedan."
    ) in page
    assert "Du är borta" not in page


def test_with_nobody_else_to_choose_the_page_says_how_to_add_a_deputy(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    log_in(client, app, chef, now)
    page = client.get("/franvaro").text
    assert "Det finns ingen annan chef eller administratör att välja som ersättare." in (
        text_of(page)
    )
    assert 'action="/franvaro"' not in page
    dana = deputy(app, now)
    page = client.get("/franvaro").text
    form = form_to(page, "/franvaro")
    assert f'<option value="{dana.id}"' in page
    assert f'<option value="{chef.id}"' not in page  # not their own deputy
    assert form.fields["person"] == str(chef.id)
