"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Recipients can be refused with a chosen reply ("550 ..." permanent, "451 ..." temporary), a
message can be refused at the end of DATA (`refuse_data`) or have its connection dropped
there (`drop`), SMTPUTF8 is offered (aiosmtpd's default) or not (`smtputf8=False`, an older
relay), and the server can be stopped and started again on the same port to play an outage.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    # The client asked for SMTPUTF8 in MAIL FROM.
    smtputf8: bool = False

    def message(self) -> EmailMessage:
        # As a mail client stores it: line ends without the wire's CR.
        raw = self.raw.replace(b"\r\n", b"\n")
        if self.smtputf8:
            # RFC 6532: the headers may be UTF-8; the bytes parser would take them as ASCII.
            msg = Parser(policy=policy.default).parsestr(raw.decode("utf-8"))
        else:
            msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        return msg


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.server.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = {a.lower() for a in envelope.rcpt_tos}
        if recipients & self.server.drop:
            # Gone without a reply, as a server that crashes on one message: the connection
            # is closed first, so the reply below never reaches the client.
            server.transport.close()
            return "421 4.3.0 Anslutningen stängs"
        for address in recipients:
            if reply := self.server.refuse_data.get(address):
                return reply
        with self.server.lock:
            self.server.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=envelope.original_content or envelope.content,
                    smtputf8=bool(envelope.smtp_utf8),
                )
            )
        # Replies are ASCII: without SMTPUTF8 the server may not send anything else.
        return "250 Meddelandet ar mottaget"


class SmtpServer:
    def __init__(self, port: int | None = None, *, smtputf8: bool = True) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.smtputf8 = smtputf8
        self.received: list[Received] = []
        # Lower-case address -> the reply to its RCPT TO, or to the end of its DATA.
        self.refuse: dict[str, str] = {}
        self.refuse_data: dict[str, str] = {}
        # Lower-case addresses whose message ends with the connection closed.
        self.drop: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message() for r in self.received]


# Ways the server can fail one message, and whether that is for good or for now.
ONE_FAILURE = {
    "rcpt-550": "permanent",
    "data-554": "permanent",
    "data-451": "temporary",
    "dropped": "temporary",
    # smtplib raised UnicodeEncodeError for it after MAIL FROM had been accepted, leaving
    # the session mid-transaction.
    "non-ascii-without-smtputf8": "permanent",
}


def fail_one(server: SmtpServer, how: str, address: str = "fel@pitea.example") -> str:
    """Make `server` fail one recipient's message in the way named; the address to use."""
    if how == "rcpt-550":
        server.refuse[address] = "550 5.1.1 Mottagaren finns inte"
    elif how == "data-554":
        server.refuse_data[address] = "554 5.6.0 Innehallet vagras"
    elif how == "data-451":
        server.refuse_data[address] = "451 4.3.0 Forsok igen senare"
    elif how == "dropped":
        server.drop.add(address)
    else:
        assert how == "non-ascii-without-smtputf8" and not server.smtputf8
        return "åsa@pitea.example"
    return address
