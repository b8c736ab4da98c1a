"""Acknowledging an escalation on the web: by the signed link in the chef's mail (GET shows,
only the POST with the link's CSRF token changes anything; a tampered, expired or revoked
link changes nothing), or logged in from the start page, which lists every step until the
escalation is acknowledged. And the admin's page of who holds the levels above the chef."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.support import builders as b
from tests.web.helpers import MovableClock, form_to, log_in, path_of, text_of
from tracker.app import App
from tracker.models import Action, ActionEvent, Escalation, Person, Role
from tracker.services import actions, escalations
from tracker.services.access import revoke_links
from tracker.services.reminders import send_reminders
from tracker.web.links import acknowledge_url
from tracker.web.security import derived_key, owner_csrf

WEDNESDAY = date(2018, 1, 10)
FORVALTNING = "Utbildningsförvaltningen"


@dataclass
class Escalated:
    action_id: int
    fc: Person
    link: str


@pytest.fixture
def escalated(app: App, chef: Person, clock: MovableClock) -> Escalated:
    """An åtgärd 40 days late, escalated to the chef by this morning's sweep."""
    clock.now = b.at(WEDNESDAY, hour=9)
    owner = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=clock())
    fc = b.person(app, "fc@pitea.example", "Frida Förvaltningschef", now=clock(), role=Role.chef)
    _, area = b.plan(app, now=clock(), forvaltning=FORVALTNING)
    action = b.action(
        app, area, "Översyn av lokaler", now=clock(), owner=owner, due_on=date(2017, 12, 1)
    )
    with app.transaction() as s:
        escalations.set_holder(s, app.registry, "forvaltningschef", FORVALTNING, fc, now=clock())
    assert send_reminders(app, now=b.at(WEDNESDAY)).steps
    assert action.id is not None
    link = path_of(acknowledge_url(app.settings, chef, action.id, now=clock()))
    return Escalated(action.id, fc, link)


def csrf_of(app: App, link: str) -> str:
    return owner_csrf(derived_key(app.settings.secret_key, "csrf-agare"), link.rsplit("/", 1)[1])


def state(app: App, action_id: int) -> tuple[object, ...]:
    """Everything acknowledging could change."""
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        esc = s.exec(select(Escalation)).all()
        n_events = len(
            s.exec(select(ActionEvent.id).where(ActionEvent.action_id == action_id)).all()
        )
        return (
            action.due_on,
            action.original_due_on,
            action.version,
            tuple((e.acknowledged_at, e.comment) for e in esc),
            n_events,
        )


def test_opening_the_link_changes_nothing_and_shows_the_form(
    client: TestClient, app: App, escalated: Escalated
) -> None:
    before = state(app, escalated.action_id)
    page = client.get(escalated.link)
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Kvittera eskalering" in words and "Översyn av lokaler" in words
    assert "Malin Westling" in words  # the step, sent to the chef
    form = form_to(page.text, "/kvittera/")
    assert "Kommentar" in " ".join(form.labels)
    assert client.head(escalated.link).status_code == 200
    assert state(app, escalated.action_id) == before


def test_the_post_with_csrf_acknowledges_and_agrees_a_new_date(
    client: TestClient, app: App, chef: Person, escalated: Escalated
) -> None:
    form = form_to(client.get(escalated.link).text, "/kvittera/")
    done = client.post(
        form.action,
        data=form.data(comment="Överenskommet med Bo: klart i maj.", new_date="2018-05-31"),
    )
    assert done.status_code == 200, done.text
    assert "Eskaleringen är kvitterad" in text_of(done.text)
    with app.transaction() as s:
        action = s.get(Action, escalated.action_id)
        assert action is not None
        assert (action.due_on, action.original_due_on) == (date(2018, 5, 31), date(2017, 12, 1))
        [row] = s.exec(select(Escalation)).all()
        assert row.acknowledged_by == chef.id and row.comment.startswith("Överenskommet")
    # The link again: nothing left to acknowledge, and posting again changes nothing.
    assert "ingen eskalering att kvittera" in text_of(client.get(escalated.link).text)
    before = state(app, escalated.action_id)
    again = client.post(form.action, data=form.data(comment="En gång till"))
    assert again.status_code == 409
    assert state(app, escalated.action_id) == before


def test_a_refused_form_keeps_the_comment_and_changes_nothing(
    client: TestClient, app: App, escalated: Escalated
) -> None:
    form = form_to(client.get(escalated.link).text, "/kvittera/")
    before = state(app, escalated.action_id)
    done = client.post(form.action, data=form.data(comment="Klart snart", new_date="2018-01-01"))
    assert done.status_code == 422
    assert "måste ligga efter i dag" in done.text and "Klart snart" in done.text
    assert client.post(form.action, data=form.data(comment="")).status_code == 422
    assert state(app, escalated.action_id) == before


@pytest.mark.parametrize("how", ["tampered", "expired", "revoked", "no_csrf", "other_purpose"])
def test_a_bad_link_or_form_changes_nothing(
    client: TestClient, app: App, chef: Person, clock: MovableClock, escalated: Escalated, how: str
) -> None:
    link = escalated.link
    csrf = csrf_of(app, link)
    if how == "tampered":
        link = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    elif how == "expired":
        clock.advance(days=app.settings.link_max_age_days + 1)
    elif how == "revoked":
        with app.transaction() as s:
            person = s.get(Person, chef.id)
            assert person is not None
            revoke_links(s, person, now=clock())
        clock.advance(seconds=5)
    elif how == "no_csrf":
        csrf = "0" * 64
    else:
        # An owner's link for the same person is no acknowledgement link.
        from tests.web.helpers import owner_path

        link = "/kvittera/" + owner_path(app, chef, clock()).rsplit("/", 1)[1]
        csrf = csrf_of(app, link)
    before = state(app, escalated.action_id)
    if how != "no_csrf":
        assert client.get(link).status_code == 403
    done = client.post(link, data={"csrf": csrf, "comment": "Sett.", "new_date": "2018-05-31"})
    assert done.status_code == 403
    assert state(app, escalated.action_id) == before


def test_a_link_for_someone_it_was_not_sent_to_shows_no_form_and_changes_nothing(
    client: TestClient, app: App, clock: MovableClock, escalated: Escalated
) -> None:
    link = path_of(acknowledge_url(app.settings, escalated.fc, escalated.action_id, now=clock()))
    before = state(app, escalated.action_id)
    page = client.get(link)
    assert page.status_code == 403
    assert "<textarea" not in page.text and "skickades inte till dig" in page.text
    done = client.post(link, data={"csrf": csrf_of(app, link), "comment": "Sett."})
    assert done.status_code == 403
    assert state(app, escalated.action_id) == before


def test_each_step_is_on_the_start_page_and_in_the_history_until_acknowledged_there(
    client: TestClient, app: App, chef: Person, clock: MovableClock, escalated: Escalated
) -> None:
    # Nobody answers for five working days: the förvaltningschef gets it on 18 January.
    clock.now = b.at(date(2018, 1, 18), hour=9)
    assert send_reminders(app, now=b.at(date(2018, 1, 18))).steps
    log_in(client, app, escalated.fc, clock())
    words = text_of(client.get("/start").text)
    assert "Eskaleringar att kvittera (1)" in words
    assert "Chef Malin Westling 2018-01-10 2018-01-17" in words
    assert "Förvaltningschef Frida Förvaltningschef 2018-01-18 2018-01-25" in words
    history = text_of(client.get(f"/atgarder/{escalated.action_id}").text)
    assert history.count("Eskalerad") >= 2

    page = client.get("/start")
    form = form_to(page.text, f"/eskaleringar/{escalated.action_id}/kvittera")
    done = client.post(
        form.action, data=form.data(comment="Tar det med Bo i dag."), follow_redirects=False
    )
    assert done.status_code == 303
    words = text_of(client.get("/start").text)
    assert "Eskaleringar att kvittera" not in words
    assert "Eskaleringen för åtgärd" in words
    assert "Tar det med Bo i dag." in text_of(client.get(f"/atgarder/{escalated.action_id}").text)
    # Acknowledged, it climbs no more.
    assert send_reminders(app, now=b.at(date(2018, 1, 26))).steps == []


def test_an_escalation_whose_atgard_the_owner_marked_klar_waits_no_more(
    client: TestClient, app: App, chef: Person, clock: MovableClock, escalated: Escalated
) -> None:
    clock.now = b.at(date(2018, 1, 11), hour=10)
    with app.transaction() as s:
        action = s.get(Action, escalated.action_id)
        assert action is not None and action.owner_id is not None
        owner = s.get(Person, action.owner_id)
        assert owner is not None
        actions.move(
            s, app.registry, escalated.action_id, "slutfor", owner, now=clock(), text="Klart."
        )

    # The next day the chef is not asked to acknowledge it, on the start page or by the link.
    clock.now = b.at(date(2018, 1, 12), hour=9)
    log_in(client, app, chef, clock())
    assert "Eskaleringar att kvittera" not in text_of(client.get("/start").text)
    page = client.get(escalated.link)
    assert "<textarea" not in page.text
    assert "inte längre försenad" in text_of(page.text)
    # Nobody acknowledged it, and still it goes to nobody above the chef.
    assert send_reminders(app, now=b.at(date(2018, 1, 18))).steps == []


def test_a_refused_form_on_the_start_page_keeps_what_was_typed(
    client: TestClient, app: App, chef: Person, clock: MovableClock, escalated: Escalated
) -> None:
    log_in(client, app, chef, clock())
    form = form_to(client.get("/start").text, f"/eskaleringar/{escalated.action_id}/kvittera")
    before = state(app, escalated.action_id)
    typed = form.data(comment="Vi har talat med Bo.", new_date="2018-01-01")
    refused = client.post(form.action, data=typed, follow_redirects=False)
    assert refused.status_code == 422
    again = form_to(refused.text, f"/eskaleringar/{escalated.action_id}/kvittera")
    assert again.fields["new_date"] == "2018-01-01"
    assert "Vi har talat med Bo." in refused.text
    assert "måste ligga efter i dag" in text_of(refused.text)
    assert state(app, escalated.action_id) == before

    # Someone acknowledges it first: the form is gone, the reason and the comment are not.
    assert client.post(form.action, data=form.data(comment="Först.")).status_code == 200
    late = client.post(form.action, data=form.data(comment="Sent svar."), follow_redirects=False)
    assert late.status_code == 409
    words = text_of(late.text)
    assert f"Eskaleringen för åtgärd {escalated.action_id} kvitterades inte" in words
    assert "Sent svar." in words


def test_a_chef_of_another_forvaltning_neither_sees_nor_acknowledges_it(
    client: TestClient, app: App, clock: MovableClock, escalated: Escalated
) -> None:
    other = b.person(
        app, "annan@pitea.example", "Annan Chef", now=clock(), role=Role.chef, forvaltning="Kultur"
    )
    log_in(client, app, other, clock())
    assert "Eskaleringar att kvittera" not in text_of(client.get("/start").text)
    before = state(app, escalated.action_id)
    csrf = form_to(client.get("/eskaleringsnivaer").text, "/logga-ut").fields["csrf"]
    done = client.post(
        f"/eskaleringar/{escalated.action_id}/kvittera", data={"csrf": csrf, "comment": "x"}
    )
    assert done.status_code == 403
    assert state(app, escalated.action_id) == before


def test_an_admin_names_who_holds_a_level_and_a_chef_may_not(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=now, role=Role.admin)
    kd = b.person(app, "kd@pitea.example", "Kim Kommundirektör", now=now, role=Role.chef)
    log_in(client, app, admin, now)
    form = form_to(client.get("/eskaleringsnivaer").text, "/eskaleringsnivaer")
    done = client.post(
        form.action,
        data=form.data(level="kommundirektor", forvaltning="", email=kd.email),
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = text_of(client.get("/eskaleringsnivaer").text)
    assert "Kommundirektör Hela kommunen Kim Kommundirektör" in page
    with app.transaction() as s:
        assert [(h.level, h.forvaltning) for h, _ in escalations.list_holders(s)] == [
            ("kommundirektor", "")
        ]

    with TestClient(client.app) as other:
        log_in(other, app, chef, now)
        page = other.get("/eskaleringsnivaer")
        assert page.status_code == 200 and "<select" not in page.text
        csrf = form_to(page.text, "/logga-ut").fields["csrf"]
        refused = other.post(
            "/eskaleringsnivaer",
            data={"csrf": csrf, "level": "kommundirektor", "email": chef.email},
        )
        assert refused.status_code == 403
    with app.transaction() as s:
        assert [p.email for _, p in escalations.list_holders(s)] == [kd.email]


def test_an_escalated_kontroll_is_called_a_kontroll_on_the_start_page(
    client: TestClient, app: App, chef: Person, clock: MovableClock
) -> None:
    clock.now = b.at(WEDNESDAY, hour=9)
    owner = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=clock())
    _, area = b.plan(app, now=clock(), forvaltning=FORVALTNING)
    b.action(
        app,
        area,
        "Kontroll av attester",
        now=clock(),
        owner=owner,
        state="planerad",
        due_on=date(2017, 12, 1),
        workflow="kontroll",
    )
    assert send_reminders(app, now=b.at(WEDNESDAY)).steps
    log_in(client, app, chef, clock())
    words = text_of(client.get("/start").text)
    assert "Kontrollerna nedan har eskalerats och väntar på att någon kvitterar." in words


def test_an_escalated_atgard_nobody_owns_links_to_where_the_chef_gives_it_an_owner(
    client: TestClient, app: App, chef: Person, clock: MovableClock
) -> None:
    """What the chef must do about an åtgärd nobody owns is give it an owner: the page her
    mail's link opens leads there, and after logging in she is at its form."""
    clock.now = b.at(WEDNESDAY, hour=9)
    _, area = b.plan(app, now=clock())
    action = b.action(
        app, area, "Översyn av lokaler", now=clock(), owner=None, due_on=date(2017, 12, 1)
    )
    assert send_reminders(app, now=b.at(WEDNESDAY)).steps
    assert action.id is not None
    page = client.get(path_of(acknowledge_url(app.settings, chef, action.id, now=clock())))
    assert page.status_code == 200
    assert "Ingen ansvarig" in text_of(page.text)
    assert f'href="/atgarder/{action.id}#ansvar">Ge åtgärden en ansvarig</a>' in page.text
    log_in(client, app, chef, clock())
    there = client.get(f"/atgarder/{action.id}")
    assert 'id="ansvar"' in there.text


def test_a_refused_level_is_said_beside_the_form_with_what_was_typed_kept(
    client: TestClient, app: App, chef: Person, now: datetime
) -> None:
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=now, role=Role.admin)
    log_in(client, app, admin, now)
    form = form_to(client.get("/eskaleringsnivaer").text, "/eskaleringsnivaer")
    unknown = client.post(
        form.action,
        data=form.data(level="kommundirektor", forvaltning="", email="okand@pitea.example"),
    )
    assert unknown.status_code == 422
    again = form_to(unknown.text, "/eskaleringsnivaer")
    assert "Ingen person med e-postadressen okand@pitea.example." in text_of(unknown.text)
    assert (again.fields["level"], again.fields["email"]) == (
        "kommundirektor",
        "okand@pitea.example",
    )

    # A förvaltning no plan or person has would make the level hold for nothing.
    typo = client.post(
        form.action,
        data=form.data(
            level="forvaltningschef", forvaltning="utbildningsförvaltningen", email=chef.email
        ),
    )
    assert typo.status_code == 422
    assert (
        "Förvaltningen 'utbildningsförvaltningen' finns inte: ingen plan eller person hör till "
        "den. Menar du Utbildningsförvaltningen?"
    ) in text_of(typo.text)
    assert form_to(typo.text, "/eskaleringsnivaer").fields["forvaltning"] == (
        "utbildningsförvaltningen"
    )
    with app.transaction() as s:
        assert escalations.list_holders(s) == []

    done = client.post(
        form.action,
        data=form.data(level="forvaltningschef", forvaltning=chef.forvaltning, email=chef.email),
    )
    assert "Malin Westling har nu nivån förvaltningschef för Utbildningsförvaltningen." in text_of(
        done.text
    )
