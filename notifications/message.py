"""An e-mail as data: what the outbox stores and the SMTP adapter sends."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = field(default=())
    # Where a reply goes (the chef of the plan, for an owner's mail); "" for none. The
    # messages come from a no-reply sender, so without it a reply reaches no one.
    reply_to: str = ""
