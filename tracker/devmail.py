"""A local SMTP receiver for demo and development: every message it gets becomes an .eml file.

`tracker serve` starts it when settings.dev_mail_receiver is true (production settings refuse
that), listening on settings.smtp_host/smtp_port, so the outbox dispatcher's real SMTP
delivery lands here; the web app lists the files at /dev/mail.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

NAME_RE = re.compile(r"^[0-9]{19}-[0-9a-f]{8}\.eml$")


class _StoreHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        store(self.directory, envelope.original_content or envelope.content)
        return "250 Meddelandet är mottaget"


def store(directory: Path, raw: bytes) -> Path:
    """Write one message; the name sorts by arrival and it appears whole or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():019d}-{uuid.uuid4().hex[:8]}.eml"
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, directory / name)
    return directory / name


class DevMailReceiver:
    """aiosmtpd on a thread of its own; start() returns once it accepts connections."""

    def __init__(self, directory: str | Path, host: str, port: int) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port
        self._controller = Controller(_StoreHandler(self.directory), hostname=host, port=port)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> DevMailReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class StoredMail:
    name: str
    subject: str
    sender: str
    to: str
    # The Date header as an instant, which the page shows in local time; the header as
    # written when it cannot be read.
    sent_at: datetime | None
    date_header: str
    text: str = ""
    html: str = ""


def _parse(path: Path, *, bodies: bool) -> StoredMail:
    with path.open("rb") as fh:
        msg = BytesParser(policy=email.policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    header = str(msg.get("Date", ""))
    sent_at = None
    with contextlib.suppress(TypeError, ValueError):
        sent_at = parsedate_to_datetime(header)
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None  # "-0000": the zone is unknown, so the header is shown as written
    text = html = ""
    if bodies:
        plain = msg.get_body(preferencelist=("plain",))
        rich = msg.get_body(preferencelist=("html",))
        text = plain.get_content() if isinstance(plain, EmailMessage) else ""
        html = rich.get_content() if isinstance(rich, EmailMessage) else ""
    return StoredMail(
        name=path.name,
        subject=str(msg.get("Subject", "")),
        sender=str(msg.get("From", "")),
        to=str(msg.get("To", "")),
        sent_at=sent_at,
        date_header=header,
        text=text,
        html=html,
    )


def list_messages(directory: str | Path) -> list[StoredMail]:
    """Newest first, headers only."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME_RE.match(p.name)), reverse=True)
    return [_parse(folder / n, bodies=False) for n in names]


def read_message(directory: str | Path, name: str) -> StoredMail | None:
    """One message with its bodies; None for a name that is not a stored message."""
    if not NAME_RE.match(name):
        return None
    path = Path(directory) / name
    if not path.is_file():
        return None
    return _parse(path, bodies=True)
