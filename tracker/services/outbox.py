"""Queueing e-mail: a row in the outbox, in the caller's transaction. Sending is elsewhere."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from notifications import OutgoingMessage
from tracker.models import OutboxAttachment, OutboxMessage


def enqueue(
    session: Session,
    message: OutgoingMessage,
    *,
    kind: str,
    forvaltning: str,
    now: datetime,
    domain: str,
    send_at: datetime | None = None,
) -> OutboxMessage:
    """Queue a message; it goes out when a dispatcher next runs from `send_at` (default:
    now), never lost with a crash. `forvaltning`: whose it is (OutboxMessage.forvaltning)."""
    row = OutboxMessage(
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        kind=kind,
        forvaltning=forvaltning,
        to_addr=message.to,
        subject=message.subject,
        body_text=message.text,
        body_html=message.html,
        reply_to=message.reply_to,
        next_attempt_at=send_at or now,
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


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[OutgoingMessage, str, str]],
    *,
    now: datetime,
    domain: str,
) -> int:
    """Queue many (message, kind, förvaltning) without attachments in one multi-row INSERT.

    For the reminder sweep, which writes thousands of digests in one transaction.
    """
    if any(m.attachments for m, _, _ in messages):
        raise ValueError("enqueue_many takes no attachments; use enqueue")
    rows = [
        {
            "message_id": new_message_id(domain),
            "kind": kind,
            "forvaltning": forvaltning,
            "to_addr": m.to,
            "subject": m.subject,
            "body_text": m.text,
            "body_html": m.html,
            "reply_to": m.reply_to,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "claimed_by": "",
            "last_error": "",
            "created_at": now,
        }
        for m, kind, forvaltning in messages
    ]
    if rows:
        # A Core insert: the ORM's bulk path costs several times more for the same rows.
        session.connection().execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)


def count_recent(session: Session, to_addr: str, kinds: Sequence[str], *, since: datetime) -> int:
    """How many messages of these kinds were queued to the address since `since`."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    statement = (
        select(func.count())
        .select_from(table)
        .where(table.c.to_addr == to_addr, table.c.kind.in_(kinds), table.c.created_at >= since)
    )
    return int(session.connection().execute(statement).scalar_one())


def rewrite_pending(
    session: Session, row: OutboxMessage, message: OutgoingMessage, *, now: datetime
) -> bool:
    """Replace the content of a message still waiting to be sent (its time not yet come):
    False if a dispatcher took it first, and it must be queued anew."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    done = session.connection().execute(
        update(table)
        .where(
            table.c.id == row.id,
            table.c.status == "pending",
            table.c.attempts == 0,
            table.c.next_attempt_at > now,
        )
        .values(
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            reply_to=message.reply_to,
        )
    )
    session.expire(row)
    return done.rowcount == 1
