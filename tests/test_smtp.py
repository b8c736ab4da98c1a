"""notifications.smtp: the message yagmail's session carries, and how failures are told apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications import OutgoingMessage
from notifications.smtp import Outcome, SmtpConfig, SmtpSession
from tests.support.smtp import ONE_FAILURE, SmtpServer, fail_one, free_port

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


# --- one failure touches no other message -----------------------------------------------------


def to(address: str) -> OutgoingMessage:
    return OutgoingMessage(address, "Påminnelse", "Hej!\n", "<p>Hej!</p>")


@pytest.mark.parametrize(("how", "outcome"), ONE_FAILURE.items())
def test_a_failed_message_leaves_the_session_clean_for_the_next(
    plain_server: SmtpServer, how: str, outcome: str
) -> None:
    bad = fail_one(plain_server, how)
    with SmtpSession(config(plain_server.port)) as session:
        before = session.send(to("anna.berg@pitea.example"), message_id="<1@x>", date=NOW)
        failed = session.send(to(bad), message_id="<2@x>", date=NOW)
        after = session.send(to("bo.lind@pitea.example"), message_id="<3@x>", date=NOW)
    assert (before.outcome, after.outcome) == (Outcome.sent, Outcome.sent), after.detail
    assert (failed.outcome, failed.server_unavailable) == (Outcome(outcome), False)
    assert [r.rcpt_tos for r in plain_server.received] == [
        ("anna.berg@pitea.example",),
        ("bo.lind@pitea.example",),
    ]


# --- addresses outside ASCII --------------------------------------------------------------------

IDN = "xn--kommunfrvaltning-swb.example"  # kommunförvaltning.example in IDNA


def test_an_idn_domain_goes_as_a_labels_through_a_relay_without_smtputf8(
    plain_server: SmtpServer,
) -> None:
    with SmtpSession(config(plain_server.port)) as session:
        delivery = session.send(
            to("Anna.Berg@Kommunförvaltning.example"), message_id="<1@x>", date=NOW
        )
    assert delivery.outcome is Outcome.sent, delivery.detail
    (received,) = plain_server.received
    assert received.rcpt_tos == (f"Anna.Berg@{IDN}",)
    assert not received.smtputf8
    received.raw.decode("ascii")  # nothing for an old relay to choke on
    assert received.message()["To"] == f"Anna.Berg@{IDN}"


def test_a_non_ascii_local_part_goes_with_smtputf8_when_the_server_offers_it(
    smtp_server: SmtpServer,
) -> None:
    assert smtp_server.smtputf8
    with SmtpSession(config(smtp_server.port)) as session:
        first = session.send(to("åsa@kommunförvaltning.example"), message_id="<1@x>", date=NOW)
        second = session.send(MESSAGE, message_id="<2@x>", date=NOW)
    assert (first.outcome, second.outcome) == (Outcome.sent, Outcome.sent), first.detail
    international, plain = smtp_server.received
    assert international.smtputf8 and not plain.smtputf8, "SMTPUTF8 only where needed"
    assert international.rcpt_tos == (f"åsa@{IDN}",)
    msg = international.message()
    assert msg["To"] == f"åsa@{IDN}"  # RFC 6532: UTF-8 in the header itself
    assert msg["Subject"] == "Påminnelse"
    assert msg["From"] == "Åtgärdsplaner <atgardsplan@pitea.example>"
    assert msg.get_body(("plain",)).get_content() == "Hej!\n"  # type: ignore[union-attr]


def test_without_smtputf8_a_non_ascii_local_part_fails_for_good_with_a_swedish_reason(
    plain_server: SmtpServer,
) -> None:
    with SmtpSession(config(plain_server.port)) as session:
        delivery = session.send(to("åsa@pitea.example"), message_id="<1@x>", date=NOW)
    assert (delivery.outcome, delivery.server_unavailable) == (Outcome.permanent, False)
    assert "SMTPUTF8" in delivery.detail and "å, ä eller ö" in delivery.detail
    assert plain_server.received == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("a@snö☃.example", "Domänen 'snö☃.example'"),
        ("inte en adress", "Ogiltig e-postadress"),
        ("a\x07b@pitea.example", "Ogiltig e-postadress"),
        (("å" * 40) + "@pitea.example", "för lång"),
    ],
)
def test_an_address_that_can_never_be_sent_fails_for_good_without_the_server(
    smtp_server: SmtpServer, address: str, reason: str
) -> None:
    with SmtpSession(config(smtp_server.port)) as session:
        delivery = session.send(to(address), message_id="<1@x>", date=NOW)
        assert session._client is None, "not even a connection"
    assert delivery.outcome is Outcome.permanent
    assert reason in delivery.detail


def test_a_sender_outside_ascii_before_the_at_keeps_the_mail_and_says_why(
    smtp_server: SmtpServer,
) -> None:
    cfg = SmtpConfig(host="127.0.0.1", port=smtp_server.port, mail_from="åtgärd@pitea.example")
    with SmtpSession(cfg) as session:
        delivery = session.send(MESSAGE, message_id="<1@x>", date=NOW)
    assert (delivery.outcome, delivery.server_unavailable) == (Outcome.temporary, True)
    assert "mail_from" in delivery.detail
    assert smtp_server.received == []


def test_an_idn_sender_domain_goes_as_a_labels(smtp_server: SmtpServer) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1",
        port=smtp_server.port,
        mail_from="Åtgärdsplaner <atgardsplan@kommunförvaltning.example>",
    )
    with SmtpSession(cfg) as session:
        assert session.send(MESSAGE, message_id="<1@x>", date=NOW).outcome is Outcome.sent
    (received,) = smtp_server.received
    assert received.mail_from == f"atgardsplan@{IDN}"
    assert received.message()["From"] == f"Åtgärdsplaner <atgardsplan@{IDN}>"


def test_reply_to_goes_as_sent_and_one_the_server_cannot_carry_is_left_out(
    plain_server: SmtpServer,
) -> None:
    """An owner's mail answers to the chef; an IDN reply domain goes as A-labels, and a
    reply address only SMTPUTF8 could carry costs the Reply-To, never the message."""
    with SmtpSession(config(plain_server.port)) as session:
        for i, reply in enumerate(["chef@Kommunförvaltning.example", "åsa@pitea.example"]):
            message = replace(MESSAGE, reply_to=reply)
            delivery = session.send(message, message_id=f"<{i}@x>", date=NOW)
            assert delivery.outcome is Outcome.sent, delivery.detail
    first, second = plain_server.received
    assert first.message()["Reply-To"] == f"chef@{IDN}"
    assert second.message()["Reply-To"] is None
