"""Delivery over SMTP with yagmail, one session for a batch of messages.

yagmail opens and authenticates the SMTP session (TLS, STARTTLS or a plain local relay), but
its own message builder puts HTML markup in the text/plain part, so `mime_bytes` writes the
message out here directly, not through the `email` package: multipart/alternative with a real
plain-text part and an HTML part (inside multipart/mixed when there are attachments), handed
as bytes to the session yagmail opened.

A failed send is returned, not raised, and told apart: `temporary` (server down, timeout,
4xx) is tried again later, `permanent` (5xx, an address that cannot be right) is not.
"""

from __future__ import annotations

import base64
import binascii
import re
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
    """The From header's value: 'Namn <adress>' with a non-ASCII name encoded."""
    name, addr = parseaddr(mail_from)
    return formataddr((name, addr), charset="utf-8") if name else addr


def mime_bytes(
    message: OutgoingMessage, *, from_header: str, message_id: str, date: datetime
) -> bytes:
    """The message as sent: multipart/alternative with a plain-text part and an HTML part,
    inside multipart/mixed when there are attachments; 7-bit (quoted-printable, base64) so a
    relay without 8BITMIME takes it too; CRLF line ends.

    Written out directly rather than through email.message: its generator spent longer
    on a digest than the SMTP exchange did (the tests parse the result with the email
    package to hold it to the standard).
    """
    alt = f"=_alt_{uuid.uuid4().hex}"
    lines = [
        "MIME-Version: 1.0",
        f"From: {from_header if from_header.isascii() else from_line(from_header)}",
        f"To: {message.to}",
        f"Subject: {encode_header(message.subject)}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        # RFC 3834: tells auto-responders (out-of-office) not to answer.
        "Auto-Submitted: auto-generated",
    ]
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


# One bare address: no display name, spaces, brackets or second "@".
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def plausible_address(addr: str) -> bool:
    """Cheap check that an address can be sent to at all; the server decides the rest."""
    return _ADDRESS.fullmatch(addr) is not None


class SmtpSession:
    """One SMTP connection, opened on the first send and reopened after it breaks."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: yagmail.SMTP | None = None
        self._envelope_from = config.envelope_from
        self._from_header = from_line(config.mail_from)

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
        """Send one message over this session; a failure is returned, not raised."""
        if not plausible_address(message.to):
            return Delivery(Outcome.permanent, f"Ogiltig e-postadress: {message.to!r}")
        raw = mime_bytes(message, from_header=self._from_header, message_id=message_id, date=date)
        reused = self._client is not None
        delivery = self._send_raw(message.to, raw)
        if reused and delivery.server_unavailable and self._client is None:
            # An idle connection the server dropped: try once on a fresh one.
            delivery = self._send_raw(message.to, raw)
        return delivery

    def _send_raw(self, to: str, raw: bytes) -> Delivery:
        try:
            if self._client is None:
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
        try:
            refused = self._client.smtp.sendmail(self._envelope_from, [to], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _classify_code(code, _reply_text(text))
        except smtplib.SMTPServerDisconnected as exc:
            self.close()
            return Delivery(
                Outcome.temporary,
                f"SMTP-servern stängde anslutningen: {exc}",
                server_unavailable=True,
            )
        except smtplib.SMTPResponseException as exc:
            delivery = _classify_code(exc.smtp_code, _reply_text(exc.smtp_error))
            if exc.smtp_code == 421:
                # "Service not available, closing channel".
                self.close()
                return Delivery(delivery.outcome, delivery.detail, server_unavailable=True)
            return delivery
        except (smtplib.SMTPNotSupportedError, UnicodeEncodeError) as exc:
            return Delivery(Outcome.permanent, f"Adressen kan inte skickas till: {exc}")
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Delivery(
                Outcome.temporary, f"Fel i SMTP-anslutningen: {exc}", server_unavailable=True
            )
        if refused:
            code, text = next(iter(refused.values()))
            return _classify_code(code, _reply_text(text))
        return SENT


def _quietly_close(client: yagmail.SMTP) -> None:
    try:
        client.close()
    except (smtplib.SMTPException, OSError):
        # The connection is gone either way; closing a broken socket may fail.
        client.is_closed = True
