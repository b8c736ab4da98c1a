"""Queueing e-mail: a row in the outbox, in the caller's transaction. Sending is elsewhere."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from notifications import OutgoingMessage
from tracker.models import OutboxAttachment, OutboxMessage


def enqueue(
    session: Session, message: OutgoingMessage, *, kind: str, now: datetime, domain: str
) -> OutboxMessage:
    """Queue a message; it goes out when a dispatcher next runs, never lost with a crash."""
    row = OutboxMessage(
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        kind=kind,
        to_addr=message.to,
        subject=message.subject,
        body_text=message.text,
        body_html=message.html,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for att in message.attachments:
        session.add(
            OutboxAttachment(
                message_id=row.id,
                filename=att.filename,
                content_type=att.content_type,
                data=att.data,
            )
        )
    return row
