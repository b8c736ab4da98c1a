"""notifications.smtp: the message yagmail's session carries, and how failures are told apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications import OutgoingMessage
from notifications.smtp import Outcome, SmtpConfig, SmtpSession
from tests.support.smtp import SmtpServer, free_port

NOW = datetime(2018, 1, 10, 6, 0, tzinfo=UTC)
MESSAGE = OutgoingMessage(
    to="anna.berg@pitea.example",
    subject="Påminnelse: åtgärder att uppdatera",
    text="Hej Anna,\n\nDina åtgärder: [12] Ta fram upplägg & budget <2 mkr>.\n",
    html="<p>Hej Anna,</p><p>Dina åtgärder: <b>[12]</b> Ta fram upplägg &amp; budget</p>",
)


def config(port: int, **kw: Any) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=port, mail_from="Åtgärdsplaner <atgardsplan@pitea.example>", **kw
    )


def test_local_relay_gets_a_real_multipart_alternative_through_yagmail(
    smtp_server: SmtpServer,
) -> None:
    with SmtpSession(config(smtp_server.port)) as session:
        delivery = session.send(MESSAGE, message_id="<abc123@pitea.example>", date=NOW)
    assert delivery.outcome is Outcome.sent
    (received,) = smtp_server.received
    assert received.mail_from == "atgardsplan@pitea.example"
    assert received.rcpt_tos == ("anna.berg@pitea.example",)
    assert max(len(line) for line in received.raw.splitlines()) <= 78, "7-bit, short lines"
    received.raw.decode("ascii")  # quoted-printable: no 8-bit bytes for old relays
    msg = received.message()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] == MESSAGE.subject
    assert msg["From"] == "Åtgärdsplaner <atgardsplan@pitea.example>"
    assert msg["Message-ID"] == "<abc123@pitea.example>"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text == MESSAGE.text
    assert not re.search(r"</?[a-z]+[ >]", text)
    assert msg.get_body(("html",)).get_content().strip() == MESSAGE.html  # type: ignore[union-attr]


def test_many_messages_share_one_connection(smtp_server: SmtpServer) -> None:
    with SmtpSession(config(smtp_server.port)) as session:
        for i in range(5):
            assert session.send(MESSAGE, message_id=f"<m{i}@x>", date=NOW).outcome is Outcome.sent
        client = session._client
        assert client is not None
    assert len(smtp_server.received) == 5


def test_5xx_is_permanent_and_4xx_temporary_and_the_session_goes_on(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse["borta@pitea.example"] = "550 5.1.1 Mottagaren finns inte"
    smtp_server.refuse["full@pitea.example"] = "452 4.2.2 Brevlådan är full"
    with SmtpSession(config(smtp_server.port)) as session:
        gone = session.send(
            OutgoingMessage("borta@pitea.example", "Ä", "t", "<p>t</p>"),
            message_id="<1@x>",
            date=NOW,
        )
        full = session.send(
            OutgoingMessage("full@pitea.example", "Ä", "t", "<p>t</p>"),
            message_id="<2@x>",
            date=NOW,
        )
        fine = session.send(MESSAGE, message_id="<3@x>", date=NOW)
    assert (gone.outcome, gone.server_unavailable) == (Outcome.permanent, False)
    assert "550" in gone.detail
    assert (full.outcome, full.server_unavailable) == (Outcome.temporary, False)
    assert fine.outcome is Outcome.sent


def test_an_unreachable_server_is_temporary_and_flagged() -> None:
    with SmtpSession(config(free_port(), timeout=5)) as session:
        delivery = session.send(MESSAGE, message_id="<1@x>", date=NOW)
    assert delivery.outcome is Outcome.temporary and delivery.server_unavailable


def test_a_server_restart_between_messages_is_survived() -> None:
    server = SmtpServer().start()
    try:
        with SmtpSession(config(server.port)) as session:
            assert session.send(MESSAGE, message_id="<1@x>", date=NOW).outcome is Outcome.sent
            server.stop()
            server.start()  # the idle connection is gone; the session reconnects once
            assert session.send(MESSAGE, message_id="<2@x>", date=NOW).outcome is Outcome.sent
        assert [str(m["Message-ID"]) for m in server.messages()] == ["<1@x>", "<2@x>"]
    finally:
        server.stop()


class _AuthServer:
    """aiosmtpd offering AUTH LOGIN/PLAIN (without TLS, on loopback) and noting who."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.logins: list[str] = []
        self.received = 0
        self.port = free_port()

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login.decode())
        # handled=False: aiosmtpd then answers 535 itself (its default is to stay silent).
        return AuthResult(success=data.password.decode() == self.password, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 OK"


@pytest.fixture
def auth_server() -> Iterator[_AuthServer]:
    state = _AuthServer("hemligt")
    controller = Controller(
        state,
        hostname="127.0.0.1",
        port=state.port,
        authenticator=state.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield state
    controller.stop()


def test_a_login_name_without_at_is_used_as_configured(auth_server: _AuthServer) -> None:
    # yagmail would log in as "apikey@gmail.com".
    cfg = config(auth_server.port, user="apikey", password="hemligt")
    with SmtpSession(cfg) as session:
        assert session.send(MESSAGE, message_id="<1@x>", date=NOW).outcome is Outcome.sent
    assert auth_server.logins == ["apikey"]
    assert auth_server.received == 1


def test_a_wrong_password_keeps_the_message_for_later(auth_server: _AuthServer) -> None:
    cfg = config(auth_server.port, user="apikey", password="fel")
    with SmtpSession(cfg) as session:
        delivery = session.send(MESSAGE, message_id="<1@x>", date=NOW)
    assert delivery.outcome is Outcome.temporary and delivery.server_unavailable
    assert "Inloggning" in delivery.detail
    assert auth_server.received == 0
