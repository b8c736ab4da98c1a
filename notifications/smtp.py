"""Delivery over SMTP with yagmail, one session for a batch of messages.

yagmail opens and authenticates the SMTP session (TLS, STARTTLS or a plain local relay), but
its own message builder puts HTML markup in the text/plain part, so `mime_bytes` writes the
message out here directly, not through the `email` package: multipart/alternative with a real
plain-text part and an HTML part (inside multipart/mixed when there are attachments), handed
as bytes to the session yagmail opened.

A failed send is returned, not raised, and told apart: `temporary` (server down, timeout,
4xx) is tried again later, `permanent` (5xx, an address that cannot be right) is not. A
failure of one message never reaches the next: the session is reset (RSET), or reopened
when that fails, before another message goes over it.

Addresses go on the wire as `notifications.address` writes them: the domain in IDNA
A-labels, and a local part outside ASCII only with SMTPUTF8 (RFC 6531), which then also
carries the To and From headers as UTF-8 (RFC 6532).
"""

from __future__ import annotations

import base64
import binascii
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr, parseaddr
from enum import StrEnum
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import yagmail

from config import Settings
from notifications.address import AddressRefused, MailAddress, mail_address
from notifications.message import Attachment, OutgoingMessage


class Outcome(StrEnum):
    sent = "sent"
    temporary = "temporary"
    permanent = "permanent"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""
    # The server could not be reached or dropped the connection: the next messages would
    # fail the same way, so a dispatcher stops its run instead of trying each one.
    server_unavailable: bool = False


SENT = Delivery(Outcome.sent)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mail_from: str
    security: Literal["none", "starttls", "tls"] = "none"
    user: str = ""
    password: str = ""
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            mail_from=settings.mail_from,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )

    @property
    def envelope_from(self) -> str:
        """The bare address of `mail_from`, which may be written 'Namn <adress>'."""
        return parseaddr(self.mail_from)[1] or self.mail_from


def encode_header(text: str) -> str:
    """RFC 2047 base64 words, folded, for a header with non-ASCII text (a subject)."""
    text = " ".join(text.split())
    if text.isascii():
        return text
    data = text.encode("utf-8")
    words: list[str] = []
    start = 0
    while start < len(data):
        # 39 bytes make a 64-character word: "Subject: " plus one fits in 78. Never cut
        # inside a character: back off over UTF-8 continuation bytes (10xxxxxx).
        end = min(start + 39, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return CRLF_FOLD.join(words)


CRLF = "\r\n"
CRLF_FOLD = "\r\n "


def _qp(text: str) -> str:
    """Quoted-printable by binascii (C); the email package's encoder is pure Python."""
    lf = text.replace("\r\n", "\n")
    return binascii.b2a_qp(lf.encode("utf-8"), istext=True).decode("ascii").replace("\n", CRLF)


def _text_part(text: str, subtype: str) -> list[str]:
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _qp(text),
    ]


def _attachment_part(att: Attachment) -> list[str]:
    content_type = att.content_type if "/" in att.content_type else "application/octet-stream"
    if att.filename.isascii() and '"' not in att.filename:
        disposition = f'attachment; filename="{att.filename}"'
    else:
        disposition = f"attachment; filename*=utf-8''{quote(att.filename, safe='')}"
    return [
        f"Content-Type: {content_type}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: {disposition}",
        "",
        base64.encodebytes(att.data).decode("ascii").replace("\n", CRLF),
    ]


def from_line(mail_from: str) -> str:
    """The From header's value: 'Namn <adress>' with a non-ASCII name encoded and the
    domain in A-labels; always ASCII. AddressRefused if the address cannot be sent from."""
    name, addr = parseaddr(mail_from)
    sender = mail_address(addr or mail_from)
    if sender.needs_smtputf8:
        # The sender is the municipality's own choice: asking for an ASCII one keeps every
        # message sendable through any relay.
        raise AddressRefused(
            f"Avsändaradressen '{addr}' (mail_from) kan inte användas: den får bara ha "
            "tecken ur ASCII före @ (inte å, ä eller ö)."
        )
    return formataddr((name, sender.wire), charset="utf-8") if name else sender.wire


def mime_bytes(
    message: OutgoingMessage,
    *,
    from_header: str,
    message_id: str,
    date: datetime,
    to_header: str | None = None,
    reply_to_header: str = "",
) -> bytes:
    """The message as sent: multipart/alternative with a plain-text part and an HTML part,
    inside multipart/mixed when there are attachments; 7-bit (quoted-printable, base64) so a
    relay without 8BITMIME takes it too; CRLF line ends. `to_header`: the address as the
    envelope has it (default `message.to`); only with SMTPUTF8 may it, or `from_header`,
    hold UTF-8.

    Written out directly rather than through email.message: its generator spent longer
    on a digest than the SMTP exchange did (the tests parse the result with the email
    package to hold it to the standard).
    """
    alt = f"=_alt_{uuid.uuid4().hex}"
    lines = [
        "MIME-Version: 1.0",
        f"From: {from_header if from_header.isascii() else from_line(from_header)}",
        f"To: {to_header or message.to}",
        f"Subject: {encode_header(message.subject)}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        # RFC 3834: tells auto-responders (out-of-office) not to answer.
        "Auto-Submitted: auto-generated",
    ]
    if reply_to_header:
        lines.append(f"Reply-To: {reply_to_header}")
    alternative = [
        f"--{alt}",
        *_text_part(message.text, "plain"),
        f"--{alt}",
        *_text_part(message.html, "html"),
        f"--{alt}--",
    ]
    if not message.attachments:
        lines += [
            f'Content-Type: multipart/alternative;{CRLF_FOLD}boundary="{alt}"',
            "",
            *alternative,
        ]
    else:
        mixed = f"=_mix_{uuid.uuid4().hex}"
        lines += [f'Content-Type: multipart/mixed;{CRLF_FOLD}boundary="{mixed}"', "", f"--{mixed}"]
        lines += [
            f'Content-Type: multipart/alternative;{CRLF_FOLD}boundary="{alt}"',
            "",
            *alternative,
        ]
        for att in message.attachments:
            lines += [f"--{mixed}", *_attachment_part(att)]
        lines.append(f"--{mixed}--")
    lines.append("")
    return CRLF.join(lines).encode("utf-8")


def _classify_code(code: int, text: str) -> Delivery:
    detail = f"{code} {text}".strip()
    if 400 <= code < 500:
        return Delivery(Outcome.temporary, detail)
    return Delivery(Outcome.permanent, detail)


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


NO_SMTPUTF8 = (
    "Adressen har tecken utanför ASCII före @ (som å, ä eller ö), och SMTP-servern tar inte "
    "emot sådana adresser (den erbjuder inte SMTPUTF8). Brevet kan inte skickas via den här "
    "servern."
)


@dataclass(frozen=True)
class _Attempt:
    delivery: Delivery
    # The connection broke during this message and is closed now.
    connection_lost: bool = False


class SmtpSession:
    """One SMTP connection, opened on the first send and reopened after it breaks."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: yagmail.SMTP | None = None
        self._sender_problem = ""
        self._envelope_from = self._from_header = ""
        try:
            self._from_header = from_line(config.mail_from)
            self._envelope_from = mail_address(config.envelope_from).wire
        except AddressRefused as exc:
            self._sender_problem = exc.reason

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self) -> yagmail.SMTP:
        cfg = self.config
        kwargs: dict[str, Any] = {"timeout": cfg.timeout}
        starttls: bool | dict[str, Any] = False
        if cfg.security == "tls":
            kwargs["context"] = ssl.create_default_context()
        elif cfg.security == "starttls":
            # smtplib's starttls() without a context does not verify the certificate.
            starttls = {"context": ssl.create_default_context()}
        client = yagmail.SMTP(
            user=cfg.user or cfg.envelope_from,
            # Never None: yagmail would look in the keyring and then prompt on the terminal.
            password=cfg.password,
            host=cfg.host,
            port=cfg.port,
            smtp_ssl=cfg.security == "tls",
            smtp_starttls=starttls,
            smtp_skip_login=not cfg.user,
            soft_email_validation=False,
            **kwargs,
        )
        if cfg.user:
            # yagmail appends "@gmail.com" to a user name without "@" ("apikey" for many
            # relays); log in with the name as configured.
            client.user = cfg.user
        try:
            client.login()
        except BaseException:
            _quietly_close(client)
            raise
        return client

    def close(self) -> None:
        if self._client is not None:
            _quietly_close(self._client)
            self._client = None

    def send(self, message: OutgoingMessage, *, message_id: str, date: datetime) -> Delivery:
        """Send one message over this session; a failure is returned, not raised, and leaves
        the session ready for the next message."""
        if self._sender_problem:
            # The configuration's fault, not the message's: it waits until that is corrected.
            return Delivery(Outcome.temporary, self._sender_problem, server_unavailable=True)
        try:
            to = mail_address(message.to)
        except AddressRefused as exc:
            return Delivery(Outcome.permanent, exc.reason)
        reused = self._client is not None
        attempt = self._attempt(message, to, message_id=message_id, date=date)
        if reused and attempt.connection_lost:
            # Most often an idle connection the server dropped: try once on a fresh one.
            attempt = self._attempt(message, to, message_id=message_id, date=date)
        return attempt.delivery

    def _connect(self) -> yagmail.SMTP | Delivery:
        """The open connection, opened now if there is none; a Delivery if that fails."""
        if self._client is not None:
            return self._client
        try:
            self._client = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are the configuration's fault, not the message's: keep it.
            return Delivery(
                Outcome.temporary,
                f"Inloggning på SMTP-servern misslyckades: {exc}",
                server_unavailable=True,
            )
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(
                Outcome.temporary,
                f"Kan inte ansluta till SMTP-servern: {exc}",
                server_unavailable=True,
            )
        return self._client

    def _attempt(
        self, message: OutgoingMessage, to: MailAddress, *, message_id: str, date: datetime
    ) -> _Attempt:
        client = self._connect()
        if isinstance(client, Delivery):
            return _Attempt(client)
        try:
            return _Attempt(self._transact(client.smtp, message, to, message_id, date))
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return self._refused(code, _reply_text(text))
        except smtplib.SMTPResponseException as exc:
            return self._refused(exc.smtp_code, _reply_text(exc.smtp_error))
        except (smtplib.SMTPNotSupportedError, UnicodeError) as exc:
            self._reset()
            return _Attempt(Delivery(Outcome.permanent, f"Adressen kan inte skickas till: {exc}"))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return _connection_broke(exc)

    def _transact(
        self,
        smtp: smtplib.SMTP,
        message: OutgoingMessage,
        to: MailAddress,
        message_id: str,
        date: datetime,
    ) -> Delivery:
        """One mail transaction; SMTP failures are raised, for _attempt to sort out."""
        smtp.ehlo_or_helo_if_needed()
        options: list[str] = []
        if to.needs_smtputf8:
            if not smtp.has_extn("smtputf8"):
                return Delivery(Outcome.permanent, NO_SMTPUTF8)
            # As smtplib's send_message does for an international message.
            options = ["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") else ["SMTPUTF8"]
        raw = mime_bytes(
            message,
            from_header=self._from_header,
            message_id=message_id,
            date=date,
            to_header=to.wire,
            reply_to_header=_reply_to(message.reply_to, smtputf8=bool(options)),
        )
        smtp.sendmail(self._envelope_from, [to.wire], raw, mail_options=options)
        # One recipient: had it been refused, sendmail would have raised.
        return SENT

    def _refused(self, code: int, text: str) -> _Attempt:
        """The server refused this message, at MAIL, RCPT or the end of DATA."""
        delivery = _classify_code(code, text)
        if code == 421:
            # "Service not available, closing channel": about the server, not the message.
            self.close()
            return _Attempt(
                Delivery(delivery.outcome, delivery.detail, server_unavailable=True),
                connection_lost=True,
            )
        self._reset()
        return _Attempt(delivery)

    def _reset(self) -> None:
        """After a message failed: RSET, so the next one starts a clean transaction instead
        of meeting "503 nested MAIL command"; a new connection if RSET fails."""
        if self._client is None:
            return
        try:
            code, _ = self._client.smtp.rset()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self.close()


def _connection_broke(exc: BaseException) -> _Attempt:
    """The connection broke during a message (and is closed now)."""
    # smtplib reports a read timeout as SMTPServerDisconnected raised while handling it.
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # A server that hangs would cost the timeout again for every message: stop the run.
        return _Attempt(
            Delivery(
                Outcome.temporary,
                f"SMTP-servern svarade inte i tid: {exc}",
                server_unavailable=True,
            )
        )
    # Dropped during this message: that says nothing yet about the next one, which opens a
    # new connection; only if that fails is the server unavailable.
    return _Attempt(
        Delivery(Outcome.temporary, f"SMTP-servern stängde anslutningen: {exc}"),
        connection_lost=True,
    )


def _quietly_close(client: yagmail.SMTP) -> None:
    try:
        client.close()
    except (smtplib.SMTPException, OSError):
        # The connection is gone either way; closing a broken socket may fail.
        client.is_closed = True


def _reply_to(address: str, *, smtputf8: bool) -> str:
    """The Reply-To header's address as sent, or "" to leave it out: a reply address that
    this server cannot carry (or that cannot be sent to at all) costs the reply, never the
    message."""
    if not address:
        return ""
    try:
        reply = mail_address(address)
    except AddressRefused:
        return ""
    return reply.wire if smtputf8 or not reply.needs_smtputf8 else ""
