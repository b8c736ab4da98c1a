"""Queueing e-mail: a row in the outbox, in the caller's transaction. Sending is elsewhere."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypeVar

from sqlalchemy import Select, delete, func, insert, select, update
from sqlmodel import Session, col

from notifications import OutgoingMessage
from tracker.models import OutboxAction, OutboxAttachment, OutboxControlPoint, OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
# Not sent, and never to be: it stopped being true before it went (see `withdraw`).
WITHDRAWN = "withdrawn"

# What became of the mail carrying a document (an återrapport, an issued follow-up), as the
# API and the CLI name it: still in the outbox, some of it given up on, or all delivered.
DeliveryStatus = Literal["waiting", "failed", "delivered"]
DELIVERY_WAITING: Final = "waiting"
DELIVERY_FAILED: Final = "failed"
DELIVERY_DELIVERED: Final = "delivered"

Key = TypeVar("Key", bound=Hashable)


def enqueue(
    session: Session,
    message: OutgoingMessage,
    *,
    kind: str,
    forvaltning: str,
    now: datetime,
    domain: str,
    send_at: datetime | None = None,
    about: Sequence[int] = (),
    points: Sequence[int] = (),
) -> OutboxMessage:
    """Queue a message; it goes out when a dispatcher next runs from `send_at` (default:
    now), never lost with a crash. `forvaltning`: whose it is (OutboxMessage.forvaltning);
    `about` and `points`: the åtgärder and kontrollmoment it tells of, for `unsent_about`."""
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
    set_about(session, row.id, about, points)
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
            "status": PENDING,
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
    session: Session,
    row: OutboxMessage,
    message: OutgoingMessage,
    *,
    now: datetime,
    about: Sequence[int],
    points: Sequence[int] = (),
) -> bool:
    """Replace the content of a message still waiting to be sent (its time not yet come),
    and the åtgärder and kontrollmoment it tells of, as `enqueue` records them: False if a
    dispatcher took it first, and it must be queued anew."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    done = session.connection().execute(
        update(table)
        .where(
            table.c.id == row.id,
            table.c.status == PENDING,
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
    if done.rowcount != 1:
        return False
    assert row.id is not None
    set_about(session, row.id, about, points)
    return True


def set_about(
    session: Session, message_id: int, action_ids: Sequence[int], points: Sequence[int] = ()
) -> None:
    """Record which åtgärder and kontrollmoment the message tells of (replacing what it
    told before)."""
    conn = session.connection()
    for table, column, ids in (
        (OutboxAction.__table__, "action_id", action_ids),  # type: ignore[attr-defined]
        (OutboxControlPoint.__table__, "point_id", points),  # type: ignore[attr-defined]
    ):
        conn.execute(delete(table).where(table.c.message_id == message_id))
        if ids:
            rows = [{"message_id": message_id, column: i} for i in dict.fromkeys(ids)]
            conn.execute(insert(table), rows)


def about(session: Session, message_id: int) -> list[int]:
    """The åtgärder a message tells of."""
    table = OutboxAction.__table__  # type: ignore[attr-defined]
    found = session.connection().execute(
        select(table.c.action_id).where(table.c.message_id == message_id)
    )
    return list(found.scalars())


def about_points(session: Session, message_id: int) -> list[int]:
    """The kontrollmoment a message tells of."""
    table = OutboxControlPoint.__table__  # type: ignore[attr-defined]
    found = session.connection().execute(
        select(table.c.point_id).where(table.c.message_id == message_id)
    )
    return list(found.scalars())


def unsent_about(
    session: Session,
    action_ids: Sequence[int],
    *,
    kind: str,
    not_to: str,
    points: Sequence[int] = (),
) -> list[OutboxMessage]:
    """Messages of `kind` that tell of any of `action_ids` or `points` (kontrollmoment), to
    someone other than `not_to`, and have not gone out: waiting (including after a
    temporary failure) or failed. One being sent is not among them; it is the
    dispatcher's."""
    told = (
        select(col(OutboxAction.message_id))
        .where(col(OutboxAction.action_id).in_(action_ids))
        .union(
            select(col(OutboxControlPoint.message_id)).where(
                col(OutboxControlPoint.point_id).in_(points)
            )
        )
    )
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(told),
                col(OutboxMessage.kind) == kind,
                col(OutboxMessage.to_addr) != not_to,
                col(OutboxMessage.status).in_([PENDING, FAILED]),
            )
            .order_by(col(OutboxMessage.id))
        )
    )


def withdraw(session: Session, row: OutboxMessage) -> bool:
    """Mark a message that has not gone out as withdrawn, so it never does; False if a
    dispatcher has claimed it meanwhile (then it goes out: what is being sent is not taken
    back, so a claim is never lost or sent twice)."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    done = session.connection().execute(
        update(table)
        .where(table.c.id == row.id, table.c.status.in_([PENDING, FAILED]))
        .values(status=WITHDRAWN, claimed_by="")
    )
    session.expire(row)
    return done.rowcount == 1


@dataclass(frozen=True)
class Delivery:
    """How the messages carrying one document (an återrapport, an issued follow-up) have
    fared in the outbox: queued is not sent."""

    total: int
    sent: int
    waiting: int
    # When the last recipient's message went, once every one has.
    delivered_at: datetime | None

    @property
    def failed(self) -> int:
        """Messages that will not go unless someone retries them (failed, or withdrawn)."""
        return self.total - self.sent - self.waiting


def deliveries(session: Session, carried: Select[Key, int]) -> dict[Key, Delivery]:
    """Per key, its messages as the outbox has them. `carried` selects (key, message id)
    pairs from a link table such as outbox_report; a message paired with a key more than
    once counts once. A key without messages is not in the answer: it was sent before its
    messages were linked to it, and goes on being shown as it was."""
    pairs = carried.distinct().subquery()
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    key, message_id = pairs.c
    rows = session.connection().execute(
        select(key, table.c.status, table.c.sent_at).join(table, table.c.id == message_id)
    )
    found: dict[Key, list[tuple[str, datetime | None]]] = defaultdict(list)
    for k, status, sent_at in rows:
        found[k].append((status, sent_at))
    return {k: _delivery(messages) for k, messages in found.items()}


def delivered_at(delivery: Delivery | None, queued_at: datetime | None) -> datetime | None:
    """When the recipients got it: its messages delivered, not merely queued. Without linked
    messages (sent before they were linked), the time it was queued, as it was shown then."""
    return delivery.delivered_at if delivery is not None else queued_at


def delivery_status(delivery: Delivery | None, queued_at: datetime | None) -> DeliveryStatus | None:
    """What became of a document's mail; None while it has not been queued. A failed message
    outweighs waiting ones: someone has to act on it, and waiting does not fix it. Without
    linked messages (queued before they were linked) it counts as delivered, as `delivered_at`
    has it."""
    if delivery is None:
        return DELIVERY_DELIVERED if queued_at is not None else None
    if delivery.failed:
        return DELIVERY_FAILED
    if delivery.waiting:
        return DELIVERY_WAITING
    return DELIVERY_DELIVERED


def _delivery(messages: list[tuple[str, datetime | None]]) -> Delivery:
    sent = [at for status, at in messages if status == SENT]
    waiting = sum(1 for status, _ in messages if status in (PENDING, SENDING))
    done = len(sent) == len(messages) and all(sent)
    return Delivery(
        total=len(messages),
        sent=len(sent),
        waiting=waiting,
        delivered_at=max(at for at in sent if at) if done else None,
    )
