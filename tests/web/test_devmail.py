"""The built-in SMTP receiver (demo and development only) and /dev/mail."""

from __future__ import annotations

import re
import smtplib
import socket
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from config import load_settings
from tests.support.schema import create_schema
from tests.web.helpers import form_to, text_of
from tracker.app import App, bootstrap
from tracker.devmail import DevMailReceiver, list_messages, read_message, store
from tracker.models import OutboxMessage
from tracker.services import people
from tracker.web.main import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dev_app(tmp_path: Path) -> App:
    settings = load_settings(
        environment="development",
        database_url=f"sqlite:///{tmp_path / 'dev.db'}",
        public_base_url="http://testserver",
        dev_mail_receiver=True,
        dev_mail_dir=str(tmp_path / "devmail"),
        smtp_port=free_port(),
    )
    app = bootstrap(settings)
    create_schema(app.engine)
    return app


def send(port: int, subject: str, text: str, html: str) -> None:
    msg = EmailMessage()
    msg["From"] = "atgardsplan@kommun.example"
    msg["To"] = "anna.berg@pitea.example"
    msg["Subject"] = subject
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_receiver_keeps_each_message_as_an_eml_file(tmp_path: Path) -> None:
    port = free_port()
    with DevMailReceiver(tmp_path / "mail", "127.0.0.1", port):
        send(port, "Första", "ett", "<p>ett</p>")
        send(port, "Andra – åäö", "två", "<p>två</p>")
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    listed = list_messages(tmp_path / "mail")
    assert [m.subject for m in listed] == ["Andra – åäö", "Första"]  # newest first
    full = read_message(tmp_path / "mail", listed[0].name)
    assert full is not None
    assert (full.text.strip(), full.html.strip()) == ("två", "<p>två</p>")
    assert read_message(tmp_path / "mail", "../../etc/passwd") is None


def test_the_app_starts_the_receiver_and_lists_mail_at_dev_mail(
    dev_app: App, now: datetime
) -> None:
    settings = dev_app.settings
    with TestClient(create_app(dev_app, clock=lambda: now)) as client:
        assert "Inga brev ännu." in text_of(client.get("/dev/mail").text)
        link = "http://testserver/ansvarig/abc.def"
        send(
            settings.smtp_port,
            "Du är ansvarig för en åtgärd",
            f"Hej!\n\nÖppna: {link}\n",
            f'<p>Hej!</p><p><a href="{link}">Öppna</a></p><script>alert(1)</script>',
        )
        listing = client.get("/dev/mail")
        assert "Du är ansvarig för en åtgärd" in text_of(listing.text)
        view_path = message_link(listing.text)
        view = client.get(view_path)
        assert view.status_code == 200
        assert f'<a href="{link}">{link}</a>' in view.text  # the text part, links clickable
        assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in view.text
        assert "<script>" not in view.text  # the HTML part only inside the sandboxed frame
        assert client.get("/dev/mail/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert client.get("/dev/mail/0000000000000000000-00000000.eml").status_code == 404


def message_link(html: str) -> str:
    found = re.search(r'href="(/dev/mail/[^"]+\.eml)"', html)
    assert found, "a link to the message"
    return found.group(1)


def test_dev_mail_is_not_served_unless_the_receiver_is_enabled(
    tmp_path: Path, now: datetime
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert settings.dev_mail_receiver is False
    with TestClient(create_app(bootstrap(settings), clock=lambda: now)) as client:
        assert client.get("/dev/mail").status_code == 404


def test_a_requested_link_goes_from_the_outbox_to_dev_mail_when_the_app_starts(
    dev_app: App, now: datetime
) -> None:
    """Outbox row -> dispatcher -> SMTP -> receiver -> /dev/mail, with both bodies."""
    with dev_app.transaction() as s:
        people.ensure_person(s, "anna.berg@pitea.example", now=now, name="Anna Berg")
    web = create_app(dev_app, clock=lambda: now)
    quiet = TestClient(web)  # no lifespan: nothing is sent yet
    form = form_to(quiet.get("/lank/ny").text, "/lank/ny")
    quiet.post(form.action, data=form.data(email="anna.berg@pitea.example"))
    with dev_app.transaction() as s:
        assert s.exec(select(OutboxMessage)).one().status == "pending"
    with TestClient(web) as client:  # starting sends what is queued before the first request
        view = client.get(message_link(client.get("/dev/mail").text))
        assert "Din länk till dina åtgärder" in text_of(view.text)
        assert '<a href="http://testserver/ansvarig/' in view.text
        assert 'srcdoc="&lt;base target=&quot;_blank&quot;&gt;' in view.text
    with dev_app.transaction() as s:
        assert s.exec(select(OutboxMessage)).one().status == "sent"


@pytest.mark.parametrize(
    ("date_header", "shown"),
    [
        ("Wed, 10 Jan 2018 09:00:00 +0000", "2018-01-10 10:00"),  # winter: UTC+1
        ("Thu, 21 Jun 2018 05:00:00 +0000", "2018-06-21 07:00"),  # summer: UTC+2
        ("inte ett datum", "inte ett datum"),  # shown as written
    ],
)
def test_dev_mail_shows_times_in_swedish_local_time(
    dev_app: App, now: datetime, date_header: str, shown: str
) -> None:
    # Written by hand: EmailMessage would drop a Date header it cannot read.
    raw = (
        f"Subject: Paminnelse\r\nTo: anna.berg@pitea.example\r\nDate: {date_header}\r\n\r\nHej!\r\n"
    )
    store(Path(dev_app.settings.dev_mail_dir), raw.encode("ascii"))
    client = TestClient(create_app(dev_app, clock=lambda: now))  # no lifespan: no receiver
    listing = client.get("/dev/mail")
    assert shown in text_of(listing.text)
    assert shown in text_of(client.get(message_link(listing.text)).text)
