"""`tracker reminders run`, `tracker outbox list|retry|send` as a user types them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from notifications import OutgoingMessage
from tests.support import builders as b
from tests.support.smtp import SmtpServer, free_port
from tests.test_reminders import WEDNESDAY, world
from tracker.app import App
from tracker.cli import cli
from tracker.models import OutboxMessage, Person
from tracker.services.outbox import enqueue


def tracker(db_url: str, *args: str, smtp_port: int | None = None) -> tuple[int, str]:
    env = {"TRACKER_SECRET_KEY": "k" * 40}
    if smtp_port is not None:
        env["TRACKER_SMTP_PORT"] = str(smtp_port)
    result = CliRunner().invoke(cli, ["--database", db_url, *args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def outbox_size(app: App) -> int:
    with app.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_dry_run_prints_each_recipient_and_what_they_would_get_and_changes_nothing(
    app: App, db_url: str, chef: Person
) -> None:
    w = world(app, b.at(WEDNESDAY), chef)
    code, out = tracker(db_url, "reminders", "run", "--now", "2018-01-10T07:00", "--dry-run")
    assert code == 0, out
    assert f"{w.anna.email} (Anna Berg)" in out
    assert f"Försenade: {w.late}" in out
    assert f"Klart-datum närmar sig: {w.soon}" in out
    assert f"{chef.email} (Malin Westling)" in out
    assert "3 e-postmeddelanden" in out and "Ingenting sparades" in out
    assert outbox_size(app) == 0
    code, out = tracker(
        db_url, "reminders", "run", "--now", "2018-01-10T07:00", "--dry-run", "--full"
    )
    assert "Hej Anna Berg," in out and "Ta fram upplägg för ekonomiskt stöd" in out
    assert outbox_size(app) == 0


def test_run_then_send_then_the_outbox_is_empty(
    app: App, db_url: str, chef: Person, smtp_server: SmtpServer
) -> None:
    world(app, b.at(WEDNESDAY), chef)
    code, out = tracker(db_url, "reminders", "run", "--now", "2018-01-10")
    assert code == 0 and "3 e-postmeddelanden" in out, out
    code, out = tracker(db_url, "outbox", "list")
    assert out.count("Väntar") == 3 and "väntar: 3" in out
    code, out = tracker(db_url, "outbox", "send", smtp_port=smtp_server.port)
    assert code == 0 and "Skickade: 3." in out, out
    assert len(smtp_server.received) == 3
    code, out = tracker(db_url, "outbox", "list")
    assert "Väntar" not in out and "skickat: 3" in out
    # The same day again: nothing new.
    code, out = tracker(db_url, "reminders", "run", "--now", "2018-01-10T15:30")
    assert "0 e-postmeddelanden" in out


def _reminder_refused_by_the_server(app: App, db_url: str, smtp_server: SmtpServer) -> Person:
    """One owner's reminder queued, and the server set to refuse their address (5xx)."""
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=b.at(WEDNESDAY))
    _, area = b.plan(app, now=b.at(WEDNESDAY))
    b.action(app, area, "Sen", now=b.at(WEDNESDAY), owner=owner, due_on=date(2018, 1, 2))
    tracker(db_url, "reminders", "run", "--now", "2018-01-10")
    smtp_server.refuse[owner.email] = "550 5.1.1 Okänd mottagare"
    return owner


def test_failed_message_is_listed_and_retried(
    app: App, db_url: str, chef: Person, smtp_server: SmtpServer
) -> None:
    owner = _reminder_refused_by_the_server(app, db_url, smtp_server)
    code, out = tracker(db_url, "outbox", "send", smtp_port=smtp_server.port)
    assert "Misslyckades: 1." in out
    code, out = tracker(db_url, "outbox", "list", "--failed")
    assert "Misslyckades" in out and "550 5.1.1 Okänd mottagare" in out
    del smtp_server.refuse[owner.email]
    with app.transaction() as s:
        (mid,) = s.scalars(select(col(OutboxMessage.id))).all()
    code, out = tracker(db_url, "outbox", "retry", str(mid))
    assert code == 0 and f"Meddelande {mid} ligger i kön igen." in out
    code, out = tracker(db_url, "outbox", "send", smtp_port=smtp_server.port)
    assert "Skickade: 1." in out
    assert len(smtp_server.received) == 1


def test_retry_of_all_says_how_many_in_agreeing_swedish(
    app: App, db_url: str, chef: Person, smtp_server: SmtpServer
) -> None:
    _reminder_refused_by_the_server(app, db_url, smtp_server)
    tracker(db_url, "outbox", "send", smtp_port=smtp_server.port)
    code, out = tracker(db_url, "outbox", "retry")
    assert code == 0
    assert "1 misslyckat meddelande ligger i kön igen." in out
    code, out = tracker(db_url, "outbox", "retry")
    assert "Inga misslyckade meddelanden att lägga i kön." in out


def test_send_with_the_server_down_keeps_the_mail_and_says_so(
    app: App, db_url: str, chef: Person
) -> None:
    world(app, b.at(WEDNESDAY), chef)
    tracker(db_url, "reminders", "run", "--now", "2018-01-10")
    code, out = tracker(db_url, "outbox", "send", smtp_port=free_port())
    assert code == 1 and "E-postservern svarar inte" in out
    assert outbox_size(app) == 3


@pytest.mark.parametrize("when", ["2018-06-22", "2018-06-23T07:00", "2018-06-24T07:00+02:00"])
def test_no_reminders_on_midsommar(db_url: str, when: str) -> None:
    code, out = tracker(db_url, "reminders", "run", "--now", when)
    assert code == 0 and "inte en arbetsdag" in out


def test_a_bad_time_is_explained(app: App, db_url: str) -> None:
    code, out = tracker(db_url, "reminders", "run", "--now", "igår")
    assert code == 1 and "Ogiltig tidpunkt 'igår'" in out


def test_one_mail_with_one_reminder_is_said_in_the_singular(app: App, db_url: str) -> None:
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=b.at(WEDNESDAY))
    _, area = b.plan(app, now=b.at(WEDNESDAY))
    b.action(app, area, "Sen", now=b.at(WEDNESDAY), owner=owner, due_on=date(2018, 1, 2))
    code, out = tracker(db_url, "reminders", "run", "--now", "2018-01-10", "--dry-run")
    assert code == 0 and "1 e-postmeddelande med 1 påminnelse skulle skickas" in out, out
    code, out = tracker(db_url, "reminders", "run", "--now", "2018-01-10")
    assert code == 0, out
    assert "2018-01-10: 1 e-postmeddelande med 1 påminnelse lagda i utkorgen." in out


def test_dry_run_lists_the_calls_before_a_report_and_the_draft_due(
    app: App, db_url: str, chef: Person
) -> None:
    from tracker.domain.meetings import MeetingRow
    from tracker.models import Report
    from tracker.services import meetings

    t0 = b.at(date(2018, 4, 2))
    board = "Barn- och utbildningsnämnden"
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=t0)
    _, area = b.plan(app, now=t0, chef=chef, namnd=board, report_months="6")
    action = b.action(app, area, "Ta fram rutin", now=t0, owner=anna)
    with app.transaction() as s:
        rows = [MeetingRow(board=board, held_on=date(2018, 6, 14), uid="juni")]
        meetings.import_meetings(s, rows, lead_days=21, now=t0)

    code, out = tracker(db_url, "reminders", "run", "--now", "2018-05-04", "--dry-run")
    assert code == 0, out
    assert f"{anna.email} (Anna Berg)" in out
    assert f"Inför återrapporten: {action.id}" in out
    assert "Utkast till återrapport" not in out

    code, out = tracker(db_url, "reminders", "run", "--now", "2018-05-21", "--dry-run")
    assert f"Inte uppdaterat inför återrapporten: {action.id}" in out
    assert f"Utkast till återrapport: Åtgärdsplan för ekonomi i balans till {board} 2018-06-14" in (
        out
    )
    assert "godkänns senast 2018-05-24" in out
    with app.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0
    assert outbox_size(app) == 0


def test_send_says_when_mail_held_for_later_goes(
    app: App, db_url: str, smtp_server: SmtpServer
) -> None:
    """ "Skickade: 0" alone reads as if nothing were queued."""
    held_until = datetime(2030, 1, 2, 7, 30, tzinfo=UTC)
    with app.transaction() as s:
        enqueue(
            s,
            OutgoingMessage(to="anna.berg@pitea.example", subject="Ämne", text="Text", html=""),
            kind="tilldelning",
            forvaltning="",
            now=held_until - timedelta(minutes=5),
            domain="pitea.example",
            send_at=held_until,
        )
    code, out = tracker(db_url, "outbox", "send", smtp_port=smtp_server.port)
    assert code == 0 and "Skickade: 0." in out, out
    assert (
        "1 meddelande väntar på sin tid och skickas av schemaläggaren, det första tidigast "
        "2030-01-02 08:30 ('tracker outbox list' visar dem)."
    ) in out
    assert smtp_server.received == []
