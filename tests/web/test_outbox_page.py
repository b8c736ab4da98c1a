"""Utkorgen for the chef: what waits, what failed and why, what was sent; retrying failed
messages one at a time or all at once. Board readers and owners do not see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from notifications import OutgoingMessage
from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, forms, log_in, owner_path, text_of
from tracker.app import App
from tracker.models import OutboxMessage, Person, Role
from tracker.services.dispatch import send_outbox
from tracker.services.outbox import enqueue


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


CHEFS = "Utbildningsförvaltningen"  # world.chef's förvaltning
OTHER = "Socialförvaltningen"


def queue(app: App, clock: MovableClock, *addresses: str, forvaltning: str = CHEFS) -> list[int]:
    with app.transaction() as s:
        rows = [
            enqueue(
                s,
                OutgoingMessage(
                    to=to,
                    subject=f"Påminnelse om åtgärder till {to.split('@')[0]}",
                    text="Text",
                    html="<p>Text</p>",
                ),
                kind="påminnelse",
                forvaltning=forvaltning,
                now=clock(),
                domain="pitea.example",
            )
            for to in addresses
        ]
        return [r.id for r in rows if r.id is not None]


def statuses(app: App) -> dict[int, str]:
    with app.transaction() as s:
        return {
            m.id: m.status
            for m in s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
            if m.id is not None
        }


def fail_some(
    app: App, clock: MovableClock, smtp_server: SmtpServer, *bad: str
) -> tuple[list[int], list[int]]:
    """Queue a good message and the `bad` ones, and send: the server refuses the bad ones
    for good (550), so they end 'failed'."""
    for address in bad:
        smtp_server.refuse[address] = "550 5.1.1 Mottagaren finns inte"
    good = queue(app, clock, "anna.berg@pitea.example")
    failed = queue(app, clock, *bad)
    result = send_outbox(b.with_smtp(app, smtp_server.port), now=clock())
    assert (result.sent, result.failed) == (1, len(bad))
    return good, failed


def test_chef_sees_a_failed_message_with_its_error_and_retries_it(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    good, [failed] = fail_some(app, clock, smtp_server, "fel@pitea.example")
    [waiting] = queue(app, clock, "bo.lind@pitea.example")
    assert 'href="/utkorg"' in chef_client.get("/planer").text  # in the menu

    page = chef_client.get("/utkorg")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Väntar: 1 Skickas: 0 Skickat: 1 Misslyckades: 1" in words
    assert (
        f"{failed} fel@pitea.example Påminnelse om åtgärder till fel Påminnelse Misslyckades 1 "
        "550 5.1.1 Mottagaren finns inte 2018-01-10 10:00 Inget"
    ) in words
    assert f"{waiting} bo.lind@pitea.example" in words
    assert "anna.berg@pitea.example" not in words  # sent: under "Senast skickade"
    only_failed = text_of(chef_client.get("/utkorg?visa=misslyckade").text)
    assert "fel@pitea.example" in only_failed and "bo.lind@pitea.example" not in only_failed

    clock.advance(minutes=30)
    retry = form_to(page.text, f"/utkorg/{failed}/forsok-igen")
    assert ("", "", f"Försök igen med meddelande {failed}") in retry.buttons
    done = chef_client.post(retry.action, data=retry.data(), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/utkorg"
    assert statuses(app)[failed] == "pending"
    after = text_of(chef_client.get("/utkorg").text)
    assert f"Meddelande {failed} till fel@pitea.example skickas igen vid nästa utskick." in after
    assert "Misslyckades: 0" in after

    # The address was put right at the server; the next run sends it.
    del smtp_server.refuse["fel@pitea.example"]
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 2
    sent = text_of(chef_client.get("/utkorg?visa=skickade").text)
    assert "Skickat: 3" in sent
    assert f"{failed} fel@pitea.example" in sent
    assert "Skickat 2 – 2018-01-10 10:00 2018-01-10 10:30" in sent  # two attempts, sent 10:30
    assert f"{good[0]} anna.berg@pitea.example" in sent
    assert "Utkorgen är tom: allt är skickat." in text_of(chef_client.get("/utkorg").text)


def test_retry_all_puts_every_failed_message_back_in_the_queue(
    chef_client: TestClient, app: App, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    good, failed = fail_some(app, clock, smtp_server, "fel1@pitea.example", "fel2@pitea.example")
    page = chef_client.get("/utkorg?visa=misslyckade")
    retry_all = form_to(page.text, "/utkorg/forsok-igen")
    assert ("", "", "Försök igen med alla misslyckade (2)") in retry_all.buttons
    done = chef_client.post(retry_all.action, data=retry_all.data(), follow_redirects=False)
    assert done.headers["location"] == "/utkorg?visa=misslyckade"
    assert [statuses(app)[i] for i in failed] == ["pending", "pending"]
    after = chef_client.get(done.headers["location"])
    words = text_of(after.text)
    assert "De 2 misslyckade meddelandena skickas igen vid nästa utskick." in words
    assert "Inga misslyckade meddelanden." in words
    assert not [f for f in forms(after.text) if "forsok-igen" in f.action]
    # A message already sent is not sent again: refused, with the reason.
    csrf = form_to(after.text, "/logga-ut").fields["csrf"]
    refused = chef_client.post(f"/utkorg/{good[0]}/forsok-igen", data={"csrf": csrf})
    assert refused.status_code == 422
    assert f"Meddelande {good[0]} är redan skickat." in text_of(refused.text)
    missing = chef_client.post("/utkorg/999/forsok-igen", data={"csrf": csrf})
    assert missing.status_code == 404
    assert statuses(app)[good[0]] == "sent"


def test_outbox_posts_without_csrf_are_refused_and_change_nothing(
    chef_client: TestClient, app: App, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    _, [failed] = fail_some(app, clock, smtp_server, "fel@pitea.example")
    before = statuses(app)
    for path in (f"/utkorg/{failed}/forsok-igen", "/utkorg/forsok-igen"):
        r = chef_client.post(path, data={"csrf": "fel"})
        assert r.status_code == 403, path
        assert "Formuläret kunde inte kontrolleras" in text_of(r.text)
    assert statuses(app) == before


def test_board_readers_and_owners_do_not_see_the_outbox(
    client: TestClient,
    app: App,
    world: World,
    board: Person,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    _, [failed] = fail_some(app, clock, smtp_server, "fel@pitea.example")
    # Not logged in (an owner has no log-in; their link opens only their own page).
    assert client.get(owner_path(app, world.anna, clock())).status_code == 200
    for path in ("/utkorg", "/utkorg?visa=misslyckade"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/logga-in"
    r = client.post(f"/utkorg/{failed}/forsok-igen", data={"csrf": "x"}, follow_redirects=False)
    assert r.status_code in (303, 403)

    log_in(client, app, board, clock())
    assert 'href="/utkorg"' not in client.get("/planer").text
    page = client.get("/utkorg")
    assert page.status_code == 403
    assert "Du kan läsa planer och rapporter men inte ändra dem." in text_of(page.text)
    assert "fel@pitea.example" not in page.text
    csrf = form_to(client.get("/planer").text, "/logga-ut").fields["csrf"]
    for path in (f"/utkorg/{failed}/forsok-igen", "/utkorg/forsok-igen"):
        assert client.post(path, data={"csrf": csrf}).status_code == 403, path
    assert statuses(app)[failed] == "failed"


def test_a_waiting_message_shows_when_it_is_tried_next_and_why(
    chef_client: TestClient, app: App, clock: MovableClock, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse["upptagen@pitea.example"] = "451 4.3.0 Försök igen senare"
    [mid] = queue(app, clock, "upptagen@pitea.example")
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).retry_later == 1
    words = text_of(chef_client.get("/utkorg").text)
    nxt = (clock() + timedelta(minutes=1)).astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
    assert (
        f"{mid} upptagen@pitea.example Påminnelse om åtgärder till upptagen Påminnelse Väntar 1 "
        f"451 4.3.0 Försök igen senare 2018-01-10 10:00 {nxt}"
    ) in words


def test_a_chef_sees_and_retries_only_their_forvaltnings_messages(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    """An admin, and a chef of every förvaltning, see them all."""
    smtp_server.refuse["ovrig@pitea.example"] = "550 5.1.1 Mottagaren finns inte"
    smtp_server.refuse["egen@pitea.example"] = "550 5.1.1 Mottagaren finns inte"
    [theirs] = queue(app, clock, "ovrig@pitea.example", forvaltning=OTHER)
    [unowned] = queue(app, clock, "alla@pitea.example", forvaltning="")
    [own] = queue(app, clock, "egen@pitea.example")
    assert world.chef.forvaltning == CHEFS
    send_outbox(b.with_smtp(app, smtp_server.port), now=clock())
    assert statuses(app) == {theirs: "failed", unowned: "sent", own: "failed"}

    log_in(client, app, world.chef, clock())
    page = client.get("/utkorg?visa=misslyckade")
    words = text_of(page.text)
    assert "egen@pitea.example" in words and "ovrig@pitea.example" not in words
    assert "Misslyckades: 1" in words and "Skickat: 0" in words
    assert "alla@pitea.example" not in text_of(client.get("/utkorg?visa=skickade").text)
    csrf = form_to(page.text, "/logga-ut").fields["csrf"]
    other = client.post(f"/utkorg/{theirs}/forsok-igen", data={"csrf": csrf})
    assert other.status_code == 404
    retry_all = form_to(page.text, "/utkorg/forsok-igen")
    client.post(retry_all.action, data=retry_all.data())
    assert statuses(app) == {theirs: "failed", unowned: "sent", own: "pending"}

    admin = b.person(app, "admin@pitea.example", "Ada Admin", role=Role.admin, now=clock())
    log_in(client, app, admin, clock())
    everything = text_of(client.get("/utkorg?visa=misslyckade").text)
    assert "ovrig@pitea.example" in everything
    assert "alla@pitea.example" in text_of(client.get("/utkorg?visa=skickade").text)
