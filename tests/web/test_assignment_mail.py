"""Assignments made within a few minutes to the same owner go out as one mail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in
from tracker.app import App
from tracker.services.dispatch import send_outbox


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def assign(client: TestClient, action_id: int, email: str, name: str) -> None:
    page = client.get(f"/atgarder/{action_id}")
    form = form_to(page.text, f"/atgarder/{action_id}/ansvarig")
    done = client.post(form.action, data=form.data(email=email, name=name))
    assert done.status_code == 200, done.text


def test_assignments_within_minutes_are_one_mail_sent_when_the_minutes_have_passed(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    wait = app.settings.assignment_mail_minutes
    assert wait == 5
    assign(chef_client, world.a1, "cecilia.holm@pitea.example", "Cecilia Holm")
    assert send_outbox(mail, now=clock()).sent == 0  # waiting for more
    clock.advance(minutes=2)
    assign(chef_client, world.b1, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=2)
    assert send_outbox(mail, now=clock()).sent == 0  # five minutes from the first
    clock.advance(minutes=wait - 4)
    assert send_outbox(mail, now=clock()).sent == 1

    [received] = smtp_server.messages()
    assert received["Subject"] == (
        "Du är ansvarig för 2 åtgärder i Åtgärdsplan efter granskning av ekonomiskt bistånd"
    )
    text = received.get_body(("plain",))
    assert text is not None
    body = str(text.get_content())
    assert "1. Ta fram rutin för handläggning" in body
    assert "2. Utbilda handläggarna" in body
    assert received["Reply-To"] == world.chef.email

    # Later on, an assignment is a mail of its own.
    clock.advance(minutes=30)
    assign(chef_client, world.a2, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=wait)
    assert send_outbox(mail, now=clock()).sent == 1
    _, second = smtp_server.messages()
    assert second["Subject"] == (
        "Du är ansvarig för en åtgärd i Åtgärdsplan efter granskning av ekonomiskt bistånd"
    )
