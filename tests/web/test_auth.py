"""Log-in by a link sent by e-mail, then a session cookie; how sessions end."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, path_of, text_of
from tracker.app import App
from tracker.cli import cli
from tracker.links import LinkPurpose
from tracker.models import LoginSession, OutboxMessage, Person, Role
from tracker.services import people
from tracker.services.access import revoke_links
from tracker.web.links import login_url, owner_url, signer_for
from tracker.web.main import create_app
from tracker.web.security import SESSION_COOKIE


def outbox(app: App) -> list[OutboxMessage]:
    with app.transaction() as s:
        return list(s.exec(select(OutboxMessage)).all())


def link_in(message: OutboxMessage) -> str:
    return path_of(next(w for w in message.body_text.split() if w.startswith("http://testserver")))


def ask_for_login(client: TestClient, email: str) -> str:
    page = client.get("/logga-in")
    form = form_to(page.text, "/logga-in")
    done = client.post(form.action, data=form.data(email=email))
    assert done.status_code == 200
    return text_of(done.text).replace(email, "ADRESS")


def test_not_logged_in_goes_to_the_log_in_page(client: TestClient, world: World) -> None:
    for path in ("/", "/planer", f"/planer/{world.plan_id}", f"/atgarder/{world.a1}"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/logga-in"


def test_chef_logs_in_by_a_link_from_the_outbox_and_returns_to_the_page_asked_for(
    client: TestClient, app: App, world: World
) -> None:
    ask_for_login(client, "Malin.Westling@pitea.example")
    [message] = outbox(app)
    assert (message.to_addr, message.kind) == ("malin.westling@pitea.example", "inloggning")
    assert 'href="http://testserver/logga-in/' in message.body_html
    link = link_in(message)
    # Opening the link (as a mail scanner would) logs nobody in.
    confirm = client.get(link)
    assert confirm.status_code == 200
    assert "Logga in som Malin Westling" in text_of(confirm.text)
    assert client.get("/planer", follow_redirects=False).status_code == 303
    client.get(f"/planer/{world.plan_id}", follow_redirects=False)  # the page to return to
    form = form_to(confirm.text, link)
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/planer/{world.plan_id}"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    page = client.get(f"/planer/{world.plan_id}")
    assert page.status_code == 200
    assert "Ta fram rutin för handläggning" in text_of(page.text)


def test_session_cookie_is_secure_behind_https(app: App, world: World, clock: MovableClock) -> None:
    settings = app.settings.model_copy(update={"public_base_url": "https://planer.pitea.example"})
    web = create_app(App(settings=settings, engine=app.engine, registry=app.registry), clock=clock)
    with TestClient(web, base_url="https://planer.pitea.example") as c:
        token = login_url(settings, world.chef, now=clock()).rsplit("/", 1)[1]
        form = form_to(c.get(f"/logga-in/{token}").text, "/logga-in/")
        done = c.post(form.action, data=form.data(), follow_redirects=False)
        assert "secure" in done.headers["set-cookie"].lower()


def test_asking_for_a_log_in_link_answers_the_same_for_any_address(
    client: TestClient, app: App, world: World
) -> None:
    unknown = ask_for_login(client, "okand@pitea.example")
    assert outbox(app) == []
    assert ask_for_login(client, "malin.westling@pitea.example") == unknown
    # An owner has no log-in: they get the link to their åtgärder instead.
    assert ask_for_login(client, "anna.berg@pitea.example") == unknown
    kinds = [(m.to_addr, m.kind) for m in outbox(app)]
    assert kinds == [
        ("malin.westling@pitea.example", "inloggning"),
        ("anna.berg@pitea.example", "lank"),
    ]
    assert link_in(outbox(app)[1]).startswith("/ansvarig/")


def test_log_in_post_without_csrf_logs_nobody_in(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    link = path_of(login_url(app.settings, world.chef, now=clock()))
    client.get(link)
    done = client.post(link, data={"csrf": "fel"}, follow_redirects=False)
    assert done.status_code == 403
    assert client.get("/planer", follow_redirects=False).status_code == 303
    # And the request for a link needs it too.
    assert (
        client.post("/logga-in", data={"email": "malin.westling@pitea.example"}).status_code == 403
    )
    assert outbox(app) == []


def test_tampered_expired_or_owner_log_in_links_do_not_log_in(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    good = path_of(login_url(app.settings, world.chef, now=clock()))
    owner_token = signer_for(app.settings).sign(LinkPurpose.owner, world.chef.id or 0, now=clock())
    for link in (good[:-3] + "abc", f"/logga-in/{owner_token}"):
        page = client.get(link)
        assert page.status_code == 403
        assert "Länken fungerar inte" in text_of(page.text)
        assert form_to(page.text, "/logga-in").fields.keys() >= {"csrf", "email"}
    clock.advance(minutes=61)
    assert "Länken har gått ut." in text_of(client.get(good).text)
    # A log-in link for a person without a log-in role (an owner) does not log in.
    anna_link = path_of(login_url(app.settings, world.anna, now=clock()))
    form = form_to(client.get(anna_link).text, "/logga-in/")
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert done.status_code == 403
    assert client.get("/planer", follow_redirects=False).status_code == 303


def test_session_ends_after_a_week_by_the_apps_clock_even_in_use(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    for _ in range(24):  # a request every seven hours: never idle, and a week in all
        clock.advance(hours=7)
        assert client.get("/planer", follow_redirects=False).status_code == 200
    clock.advance(seconds=1)
    r = client.get("/planer", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/logga-in")
    assert "Din inloggning har upphört. Logga in igen." in text_of(client.get("/logga-in").text)


def test_session_ends_after_the_idle_time_by_the_apps_clock(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    assert app.settings.session_idle_minutes == 8 * 60
    log_in(client, app, world.chef, clock())
    clock.advance(hours=7, minutes=59)
    assert client.get("/planer", follow_redirects=False).status_code == 200
    # Idle counts from that request, not from the log-in.
    clock.advance(hours=8)
    assert client.get("/planer", follow_redirects=False).status_code == 200
    clock.advance(hours=8, seconds=1)
    r = client.get("/planer", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/logga-in")


def test_the_idle_time_is_a_setting(app: App, world: World, clock: MovableClock) -> None:
    settings = app.settings.model_copy(update={"session_idle_minutes": 30})
    short = App(settings=settings, engine=app.engine, registry=app.registry)
    with TestClient(create_app(short, clock=clock)) as c:
        log_in(c, short, world.chef, clock())
        clock.advance(minutes=30)
        assert c.get("/planer", follow_redirects=False).status_code == 200
        clock.advance(minutes=30, seconds=1)
        assert c.get("/planer", follow_redirects=False).status_code == 303


def last_seen(app: App) -> list[object]:
    with app.transaction() as s:
        return [row.last_seen_at for row in s.exec(select(LoginSession)).all()]


def test_last_seen_is_written_at_most_once_a_minute_not_per_request(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    start = clock()
    log_in(client, app, world.chef, start)
    assert last_seen(app) == [start]
    for _ in range(3):
        clock.advance(seconds=15)
        assert client.get("/planer").status_code == 200
    assert last_seen(app) == [start]
    clock.advance(seconds=15)  # a minute since the last write
    assert client.get("/planer").status_code == 200
    assert last_seen(app) == [clock()]


def test_revoking_a_persons_links_ends_their_session(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    assert client.get("/planer").status_code == 200
    clock.advance(seconds=10)
    with app.transaction() as s:
        chef = s.get(Person, world.chef.id)
        assert chef is not None
        revoke_links(s, chef, now=clock())
    assert client.get("/planer", follow_redirects=False).status_code == 303
    # A new log-in link, made in the same second, works.
    with app.transaction() as s:
        chef = s.get(Person, world.chef.id)
        assert chef is not None
    log_in(client, app, chef, clock())
    assert client.get("/planer").status_code == 200


def test_log_out_ends_the_session_even_for_a_copy_of_the_cookie(
    web: FastAPI, client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    page = client.get("/planer")
    copied = client.cookies.get(SESSION_COOKIE)
    assert copied
    form = form_to(page.text, "/logga-ut")
    done = client.post(form.action, data=form.data(), follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/logga-in")
    assert "Du är utloggad." in text_of(client.get("/logga-in").text)
    assert client.get("/planer", follow_redirects=False).status_code == 303
    with TestClient(web) as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        r = thief.get("/planer", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/logga-in")


def test_log_out_everywhere_ends_the_session_in_another_browser(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    with TestClient(web) as laptop, TestClient(web) as phone, TestClient(web) as reader:
        log_in(laptop, app, world.chef, clock())
        clock.advance(seconds=1)  # a log-in link works once; the next is a second later
        log_in(phone, app, world.chef, clock())
        # Someone else's log-in is not the chef's to end.
        board = _board_reader(app, world, clock)
        log_in(reader, app, board, clock())
        form = form_to(laptop.get("/planer").text, "/logga-ut")
        assert ("overallt", "1", "Logga ut överallt") in form.buttons
        done = laptop.post(form.action, data=form.data(overallt="1"))
        assert "Du är utloggad i alla webbläsare och på alla enheter." in text_of(done.text)
        for browser in (laptop, phone):
            assert browser.get("/planer", follow_redirects=False).status_code == 303
        assert reader.get("/planer").status_code == 200


def test_plain_log_out_leaves_the_persons_other_browsers_logged_in(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    with TestClient(web) as laptop, TestClient(web) as phone:
        log_in(laptop, app, world.chef, clock())
        clock.advance(seconds=1)
        log_in(phone, app, world.chef, clock())
        form = form_to(laptop.get("/planer").text, "/logga-ut")
        laptop.post(form.action, data=form.data())
        assert laptop.get("/planer", follow_redirects=False).status_code == 303
        assert phone.get("/planer").status_code == 200


def _board_reader(app: App, world: World, clock: MovableClock) -> Person:
    with app.transaction() as s:
        return people.ensure_person(
            s,
            "namnd@pitea.example",
            now=clock(),
            name="Nämndens sekreterare",
            role=Role.board,
            forvaltning=world.chef.forvaltning,
        )


def test_revoking_links_on_the_person_page_ends_their_sessions(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Admin", role=Role.admin
        )
    with TestClient(web) as chefs, TestClient(web) as admins:
        log_in(chefs, app, world.chef, clock())
        log_in(admins, app, admin, clock())
        clock.advance(seconds=10)
        page = admins.get(f"/personer/{world.chef.id}/aterkalla-lankar")
        form = form_to(page.text, "/aterkalla-lankar")
        assert admins.post(form.action, data=form.data()).status_code == 200
        assert chefs.get("/planer", follow_redirects=False).status_code == 303
        assert admins.get("/planer").status_code == 200


def test_a_role_change_on_the_command_line_ends_the_persons_sessions(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    log_in(client, app, world.chef, clock())
    assert client.get("/planer").status_code == 200
    with time_machine.travel(clock(), tick=False):
        command = ["person", "add", world.chef.email, "--role", "board"]
        result = CliRunner().invoke(cli, ["--database", app.settings.database_url, *command])
    assert result.exit_code == 0, result.output
    # Still a role with a log-in, but the rights of the new one start with a new log-in.
    r = client.get("/planer", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/logga-in")
    with app.transaction() as s:
        reader = s.get_one(Person, world.chef.id)
    log_in(client, app, reader, clock())
    assert client.get("/planer").status_code == 200


def test_a_session_cookie_from_another_secret_is_ignored(
    app: App, world: World, clock: MovableClock, client: TestClient
) -> None:
    other = app.settings.model_copy(update={"secret_key": "annan-nyckel-" + "z" * 40})
    web = create_app(App(settings=other, engine=app.engine, registry=app.registry), clock=clock)
    with TestClient(web) as c:
        log_in(
            c, App(settings=other, engine=app.engine, registry=app.registry), world.chef, clock()
        )
        stolen = c.cookies.get(SESSION_COOKIE)
    assert stolen
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/planer", follow_redirects=False).status_code == 303


def test_login_link_is_made_for_the_demo(app: App, world: World, clock: MovableClock) -> None:
    url = login_url(app.settings, world.chef, now=clock())
    assert url.startswith("http://testserver/logga-in/")
    later = clock() + timedelta(minutes=59)
    claim = signer_for(app.settings).verify(LinkPurpose.login, url.rsplit("/", 1)[1], now=later)
    assert claim.person_id == world.chef.id


def _log_in_with(web: FastAPI, link: str) -> tuple[int, str]:
    """A fresh browser opens the link and presses "Logga in"."""
    with TestClient(web) as c:
        page = c.get(link)
        if page.status_code != 200:
            return page.status_code, text_of(page.text)
        form = form_to(page.text, "/logga-in/")
        done = c.post(form.action, data=form.data(), follow_redirects=False)
        return done.status_code, text_of(done.text)


def test_a_log_in_link_works_once_and_the_older_ones_stop_with_it(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    older = path_of(login_url(app.settings, world.chef, now=clock()))
    clock.advance(minutes=5)
    newer = path_of(login_url(app.settings, world.chef, now=clock()))
    assert _log_in_with(web, newer)[0] == 303
    for link in (newer, older):
        status, text = _log_in_with(web, link)
        assert status == 403 and "Länken har redan använts." in text, link
    # A link asked for in the same second as that log-in still works.
    with app.transaction() as s:
        chef = s.get_one(Person, world.chef.id)
        again = path_of(login_url(app.settings, chef, now=clock()))
    assert _log_in_with(web, again)[0] == 303


def test_the_same_log_in_link_posted_twice_at_once_logs_in_once(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    link = path_of(login_url(app.settings, world.chef, now=clock()))
    with TestClient(web) as first, TestClient(web) as second:
        forms = [form_to(c.get(link).text, "/logga-in/") for c in (first, second)]
        results = [
            c.post(f.action, data=f.data(), follow_redirects=False).status_code
            for c, f in zip((first, second), forms, strict=True)
        ]
    assert results == [303, 403]


def test_log_in_links_last_an_hour_and_owner_links_a_month(
    web: FastAPI, app: App, world: World, clock: MovableClock
) -> None:
    login = path_of(login_url(app.settings, world.chef, now=clock()))
    owner = path_of(owner_url(app.settings, world.anna, now=clock()))
    clock.advance(minutes=61)
    status, text = _log_in_with(web, login)
    assert status == 403 and "Länken har gått ut." in text
    clock.advance(days=29)
    with TestClient(web) as c:
        assert c.get(owner).status_code == 200


def test_link_e_mails_to_one_address_are_limited_per_hour(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    unknown = ask_for_login(client, "okand@pitea.example")
    answers = {ask_for_login(client, "malin.westling@pitea.example") for _ in range(7)}
    assert answers == {unknown}  # the limit does not show: the same answer every time
    assert len(outbox(app)) == app.settings.link_requests_per_hour == 5
    clock.advance(minutes=61)
    ask_for_login(client, "malin.westling@pitea.example")
    assert len(outbox(app)) == 6
