"""Assignments made within a few minutes to the same owner go out as one mail; mail that
stopped being true before it went, because the åtgärd got another owner on the web, on the
command line or by an import, is taken back."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, text_of
from tracker.app import App
from tracker.cli import cli
from tracker.models import OutboxMessage
from tracker.services import plans
from tracker.services.dispatch import claim, send_outbox


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


def test_someone_assigned_without_a_name_is_greeted_hej_not_by_address(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    assign(chef_client, world.a1, "bo.agren@pitea.example", "")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 1
    [received] = smtp_server.messages()
    text, html = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and html is not None
    assert str(text.get_content()).startswith("Hej!\n")
    assert "<p>Hej!</p>" in str(html.get_content())
    assert "Hej bo.agren" not in str(text.get_content()) + str(html.get_content())


def _add(app: App, world: World, clock: MovableClock, workflow: str, text: str) -> int:
    with app.transaction() as s:
        plan = plans.get_plan(s, world.plan_id)
        area = plans.ensure_area(s, plan, "Ekonomiskt bistånd")
        item = plans.add_action(
            s, app.registry, area, now=clock(), workflow=workflow, owner=None, text=text
        )
        assert item.id is not None
        return item.id


def _bodies(received: EmailMessage) -> str:
    text, html = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and html is not None
    return " ".join(f"{text.get_content()} {html.get_content()}".split())


def test_a_decision_and_a_kontroll_are_assigned_by_their_own_nouns(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    decision = _add(app, world, clock, "protokoll", "Besked om lokalerna")
    control = _add(app, world, clock, "kontroll", "Kontroll av attester")
    assign(chef_client, decision, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(mail, now=clock()).sent == 1
    [one] = smtp_server.messages()
    assert one["Subject"] == (
        "Du är ansvarig för ett beslut i Åtgärdsplan efter granskning av ekonomiskt bistånd"
    )
    body = _bodies(one)
    assert "har gjort dig ansvarig för ett beslut i" in body
    assert "Via länken ser du beslutet, kan skriva processläge och flytta det vidare" in body
    assert "Öppna beslutet</a>" in body
    assert "åtgärd" not in body.replace("åtgärdsplan", "").replace("Åtgärdsplan", "")

    clock.advance(minutes=30)
    assign(chef_client, control, "cecilia.holm@pitea.example", "Cecilia Holm")
    assign(chef_client, world.a1, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(mail, now=clock()).sent == 1
    _, several = smtp_server.messages()
    assert several["Subject"] == (
        "Du är ansvarig för 1 åtgärd och 1 kontroll i Åtgärdsplan efter granskning av "
        "ekonomiskt bistånd"
    )
    body = _bodies(several)
    assert "har gjort dig ansvarig för 1 åtgärd och 1 kontroll i" in body
    assert "ser du alla dina åtgärder och kontroller" in body
    assert "Öppna mina åtgärder och kontroller</a>" in body


def statuses(app: App) -> list[tuple[str, str]]:
    with app.transaction() as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(m.to_addr, m.status) for m in rows]


def test_reassigned_three_times_only_the_last_owner_is_told_and_the_others_mail_is_withdrawn(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    for who in ("cecilia.holm", "david.lund", "eva.nordin"):
        assign(chef_client, world.a1, f"{who}@pitea.example", who.replace(".", " ").title())
        clock.advance(seconds=15)
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(mail, now=clock()).sent == 1

    [received] = smtp_server.messages()
    assert received["To"] == "eva.nordin@pitea.example"
    assert statuses(app) == [
        ("cecilia.holm@pitea.example", "withdrawn"),
        ("david.lund@pitea.example", "withdrawn"),
        ("eva.nordin@pitea.example", "sent"),
    ]
    # The outbox says what became of them, rather than losing them.
    page = text_of(chef_client.get("/utkorg?visa=aterkallade").text)
    assert "Återkallat åtgärden fick en annan ansvarig" in page
    assert "cecilia.holm@pitea.example" in page and "david.lund@pitea.example" in page
    assert "eva.nordin@pitea.example" not in page
    csrf = form_to(chef_client.get("/utkorg").text, "/logga-ut").fields["csrf"]
    with app.transaction() as s:
        first = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).first()
    assert first is not None
    refused = chef_client.post(f"/utkorg/{first.id}/forsok-igen", data={"csrf": csrf})
    assert refused.status_code == 422
    assert f"Meddelande {first.id} är återkallat och skickas inte." in text_of(refused.text)


def test_a_former_owner_s_mail_about_several_atgarder_is_written_anew_for_those_still_theirs(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    assign(chef_client, world.a1, "cecilia.holm@pitea.example", "Cecilia Holm")
    assign(chef_client, world.b1, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=1)
    assign(chef_client, world.a1, "david.lund@pitea.example", "David Lund")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(mail, now=clock()).sent == 2

    by_addr = {m["To"]: m for m in smtp_server.messages()}
    cecilias = by_addr["cecilia.holm@pitea.example"]
    assert cecilias["Subject"] == (
        "Du är ansvarig för en åtgärd i Åtgärdsplan efter granskning av ekonomiskt bistånd"
    )
    body = str(cecilias.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Utbilda handläggarna" in body
    assert "Ta fram rutin för handläggning" not in body
    assert "Ta fram rutin för handläggning" in str(
        by_addr["david.lund@pitea.example"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    )


def test_mail_a_dispatcher_has_claimed_is_not_withdrawn_and_goes_out_once(
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    smtp_server: SmtpServer,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    assign(chef_client, world.a1, "cecilia.holm@pitea.example", "Cecilia Holm")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    # A dispatcher claims Cecilia's mail and is still sending it when the chef changes owner.
    lease = timedelta(seconds=app.settings.outbox_lease_seconds)
    batch = claim(app.engine, worker="other", now=clock(), limit=10, lease=lease)
    assert len(batch.items) == 1
    assign(chef_client, world.a1, "david.lund@pitea.example", "David Lund")
    assert statuses(app) == [
        ("cecilia.holm@pitea.example", "sending"),
        ("david.lund@pitea.example", "pending"),
    ]
    # That dispatcher dies; after its lease the claim is taken over, and each goes out once.
    clock.advance(seconds=app.settings.outbox_lease_seconds + 1)
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(mail, now=clock()).sent == 2
    assert sorted(m["To"] for m in smtp_server.messages()) == [
        "cecilia.holm@pitea.example",
        "david.lund@pitea.example",
    ]


# --- given to someone else outside the web ---------------------------------------------------

CECILIA = "cecilia.holm@pitea.example"
DAVID = "david.lund@pitea.example"
PLAN = "Åtgärdsplan efter granskning av ekonomiskt bistånd"
# What each says of the former owner's waiting mail: the command names the person, the
# import's summary counts.
WITHDRAWN_SAYS = {
    "command": f"Väntande brev till Cecilia Holm <{CECILIA}> om tilldelningen är återkallat.",
    "import": "Väntande brev till tidigare ansvariga: 1 återkallade, 0 omskrivna.",
}
REWRITTEN_SAYS = {
    "command": (
        f"Väntande brev till Cecilia Holm <{CECILIA}> om tilldelningen är omskrivet och tar "
        "nu bara upp 1 åtgärd."
    ),
    "import": "Väntande brev till tidigare ansvariga: 0 återkallade, 1 omskrivna.",
}


@dataclass
class Elsewhere:
    """The chef assigns on the web; then "Ta fram rutin för handläggning" (a1) goes to David
    through `how`: `tracker action assign`, or `tracker plan import` of a file naming him."""

    how: str
    client: TestClient
    app: App
    world: World
    clock: MovableClock
    tmp_path: Path

    def after_cecilia_got(self, *action_ids: int) -> str:
        """Give these to Cecilia on the web; a minute later, a1 to David: what that says."""
        for action_id in action_ids:
            assign(self.client, action_id, CECILIA, "Cecilia Holm")
        self.clock.advance(minutes=1)
        return self.reassign()

    def reassign(self) -> str:
        if self.how == "command":
            return self.tracker(
                "action", "assign", str(self.world.a1), "--owner", DAVID, "--name", "David Lund"
            )
        path = self.tmp_path / "plan.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow(["Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Tidsplan"])
            writer.writerow(
                [
                    "Ekonomiskt bistånd",
                    "Ta fram rutin för handläggning",
                    "David Lund",
                    DAVID,
                    "Klart till mars 2018. Utvärderas oktober 2018.",
                ]
            )
        forvaltning = self.world.chef.forvaltning
        return self.tracker(
            "plan", "import", str(path), "--title", PLAN, "--forvaltning", forvaltning
        )

    def tracker(self, *args: str) -> str:
        """The command, run against the test's database at the test's time."""
        settings = self.app.settings
        env = {
            "TRACKER_SECRET_KEY": settings.secret_key,
            "TRACKER_PUBLIC_BASE_URL": settings.public_base_url,
        }
        with time_machine.travel(self.clock(), tick=False):
            result = CliRunner().invoke(cli, ["--database", settings.database_url, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture(params=["command", "import"])
def elsewhere(
    request: pytest.FixtureRequest,
    chef_client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    tmp_path: Path,
) -> Elsewhere:
    return Elsewhere(request.param, chef_client, app, world, clock, tmp_path)


def test_given_to_someone_else_outside_the_web_the_former_owner_s_waiting_mail_is_withdrawn(
    elsewhere: Elsewhere, smtp_server: SmtpServer
) -> None:
    app, clock = elsewhere.app, elsewhere.clock
    out = elsewhere.after_cecilia_got(elsewhere.world.a1)

    assert statuses(app) == [(CECILIA, "withdrawn")]
    assert WITHDRAWN_SAYS[elsewhere.how] in out
    # Neither tells David: the command line and an import send no assignment mail.
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 0
    assert smtp_server.messages() == []


def test_given_to_someone_else_outside_the_web_a_waiting_mail_keeps_what_is_still_theirs(
    elsewhere: Elsewhere, smtp_server: SmtpServer
) -> None:
    app, world, clock = elsewhere.app, elsewhere.world, elsewhere.clock
    out = elsewhere.after_cecilia_got(world.a1, world.b1)

    assert statuses(app) == [(CECILIA, "pending")]
    assert REWRITTEN_SAYS[elsewhere.how] in out
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 1
    [received] = smtp_server.messages()
    assert received["To"] == CECILIA
    assert received["Subject"] == f"Du är ansvarig för en åtgärd i {PLAN}"
    body = str(received.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Utbilda handläggarna" in body
    assert "Ta fram rutin för handläggning" not in body
    # Still from the chef who gave it to her, though nobody is named on the command line.
    assert f"{world.chef.name} har gjort dig ansvarig för en åtgärd" in body


def test_given_to_someone_else_outside_the_web_mail_claimed_or_sent_is_left_alone(
    elsewhere: Elsewhere, chef_client: TestClient, smtp_server: SmtpServer
) -> None:
    app, world, clock = elsewhere.app, elsewhere.world, elsewhere.clock
    assign(chef_client, world.b1, CECILIA, "Cecilia Holm")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    assert send_outbox(b.with_smtp(app, smtp_server.port), now=clock()).sent == 1
    assign(chef_client, world.a1, CECILIA, "Cecilia Holm")
    clock.advance(minutes=app.settings.assignment_mail_minutes)
    lease = timedelta(seconds=app.settings.outbox_lease_seconds)
    assert len(claim(app.engine, worker="other", now=clock(), limit=10, lease=lease).items) == 1

    out = elsewhere.reassign()

    assert statuses(app) == [(CECILIA, "sent"), (CECILIA, "sending")]
    assert "Väntande brev" not in out
