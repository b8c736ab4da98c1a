"""Sending the outbox, as one loop: claim a batch, send it over one SMTP session, record the
outcomes in one transaction, and again, until nothing is due.

A claim is one conditional UPDATE (status 'pending' and due, or 'sending' with an expired
lease), so two dispatchers, in two threads or two processes on the same database, never
hold the same message. A dispatcher that dies between claim and record leaves its messages
in 'sending'; once the lease runs out another one takes them over, and an outcome written
for a claim that was taken over is refused. So a crash can leave at most one batch sent but
not recorded; it is sent again after the lease, with the same Message-ID, so a receiving
system can tell the copies apart. (Delivery is at least once: no protocol can tell whether
a message the server accepted just before a crash was recorded.)

Temporary failures (server unreachable, 4xx) go back to 'pending' with an exponential backoff;
permanent ones (5xx, an address that cannot be right) become 'failed' and stay visible until
someone retries them. Nothing is dropped.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Row, and_, bindparam, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select
from sqlmodel import Session, col

from notifications import Attachment, OutgoingMessage
from notifications.smtp import Delivery, Outcome, SmtpConfig, SmtpSession
from tracker.app import App
from tracker.errors import NotFound, Refused
from tracker.logs import log_event
from tracker.models import OutboxAttachment, OutboxMessage
from tracker.services.outbox import FAILED, PENDING, SENDING, SENT, WITHDRAWN

log = logging.getLogger(__name__)

STATUS_LABELS = {
    PENDING: "Väntar",
    SENDING: "Skickas",
    SENT: "Skickat",
    FAILED: "Misslyckades",
    WITHDRAWN: "Återkallat",
}

_M = OutboxMessage.__table__  # type: ignore[attr-defined]
_ATT = OutboxAttachment.__table__  # type: ignore[attr-defined]

# Outcomes are written only while the claim is still ours: the token and status say so.
_STILL_OURS = (_M.c.claimed_by == bindparam("match_token"), _M.c.status == SENDING)
# Built once: they run for every batch. RETURNING tells which claims were still ours.
_RECORD_SENT = (
    update(_M)
    .where(_M.c.id.in_(bindparam("ids", expanding=True)), *_STILL_OURS)
    .values(status=SENT, sent_at=bindparam("at"), last_error="", attempts=_M.c.attempts + 1)
    .returning(_M.c.id)
)
_RECORD_RETRY = (
    update(_M)
    .where(_M.c.id == bindparam("match_id"), *_STILL_OURS)
    .values(
        status=PENDING,
        next_attempt_at=bindparam("next_at"),
        last_error=bindparam("error"),
        attempts=bindparam("n"),
    )
)
_RECORD_FAILED = (
    update(_M)
    .where(_M.c.id == bindparam("match_id"), *_STILL_OURS)
    .values(status=FAILED, last_error=bindparam("error"), attempts=bindparam("n"))
)
_RELEASE = (
    update(_M)
    .where(_M.c.id.in_(bindparam("ids", expanding=True)), *_STILL_OURS)
    .values(status=PENDING, next_attempt_at=bindparam("until"))
)


class Sender(Protocol):
    """What the dispatcher needs of an SMTP session (notifications.smtp.SmtpSession)."""

    def send(self, message: OutgoingMessage, *, message_id: str, date: datetime) -> Delivery: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    attempts: int
    message: OutgoingMessage


@dataclass(frozen=True)
class Batch:
    """Messages claimed together; `token` marks them as this claim's."""

    token: str
    items: list[Claimed]


@dataclass
class DispatchResult:
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    # Claims another dispatcher took over because ours outlived its lease.
    lost: int = 0
    server_unavailable: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retry_later + self.failed


_Outcomes = Sequence[tuple[Claimed, Delivery]]
_Row = Row[*tuple[Any, ...]]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, max_seconds: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4, ... minutes, never more than the cap."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), max_seconds))


# Claiming.


def claim(engine: Engine, *, worker: str, now: datetime, limit: int, lease: timedelta) -> Batch:
    """Claim up to `limit` due messages in one conditional UPDATE, and read them back."""
    token = f"{worker}/{uuid.uuid4().hex[:12]}"
    # The claim commits on its own, so the write lock (SQLite) or the row locks (PostgreSQL)
    # are held for one statement, not while bodies and attachments are read.
    with engine.begin() as conn:
        if _claim_due_rows(conn, token=token, now=now, limit=limit, lease=lease) == 0:
            return Batch(token, [])
    with engine.connect() as conn:
        rows = _read_claimed(conn, token)
        attachments = _attachments_of(conn, [r.id for r in rows])
    return Batch(token, [_claimed(r, attachments.get(r.id, [])) for r in rows])


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return or_(
        and_(_M.c.status == PENDING, _M.c.next_attempt_at <= now),
        and_(_M.c.status == SENDING, _M.c.claimed_at < now - lease),
    )


def _claim_due_rows(
    conn: Connection, *, token: str, now: datetime, limit: int, lease: timedelta
) -> int:
    """Mark up to `limit` due messages with `token`; how many were marked.

    The WHERE is checked again on each row as it is updated, so a row another dispatcher
    claimed first is skipped, never taken twice.
    """
    condition = _claimable(now, lease)
    claimed = conn.execute(
        update(_M)
        .where(_M.c.id.in_(_due_ids(conn, condition, limit)), condition)
        .values(status=SENDING, claimed_by=token, claimed_at=now)
    )
    return int(claimed.rowcount)


def _due_ids(conn: Connection, condition: ColumnElement[bool], limit: int) -> Select[Any]:
    due = select(_M.c.id).where(condition).order_by(_M.c.id).limit(limit)
    if conn.dialect.name != "postgresql":
        return due
    # SKIP LOCKED: two dispatchers pass over each other's rows instead of waiting on them.
    # MATERIALIZED: else PostgreSQL may run the subquery again for each row it updates, each
    # run passing over the rows this statement has already claimed, so the LIMIT would not
    # hold and one claim would take everything due.
    locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
    return select(locked.c.id)


def _read_claimed(conn: Connection, token: str) -> Sequence[_Row]:
    return conn.execute(
        select(
            _M.c.id,
            _M.c.message_id,
            _M.c.attempts,
            _M.c.to_addr,
            _M.c.subject,
            _M.c.body_text,
            _M.c.body_html,
            _M.c.reply_to,
        )
        .where(_M.c.claimed_by == token, _M.c.status == SENDING)
        .order_by(_M.c.id)
    ).all()


def _attachments_of(conn: Connection, ids: list[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {}
    if not ids:
        return found
    for a in conn.execute(
        select(_ATT.c.message_id, _ATT.c.filename, _ATT.c.content_type, _ATT.c.data)
        .where(_ATT.c.message_id.in_(ids))
        .order_by(_ATT.c.id)
    ):
        found.setdefault(a.message_id, []).append(
            Attachment(filename=a.filename, content_type=a.content_type, data=a.data)
        )
    return found


def _claimed(row: _Row, attachments: list[Attachment]) -> Claimed:
    return Claimed(
        id=row.id,
        message_id=row.message_id,
        attempts=row.attempts,
        message=OutgoingMessage(
            to=row.to_addr,
            subject=row.subject,
            text=row.body_text,
            html=row.body_html,
            reply_to=row.reply_to,
            attachments=tuple(attachments),
        ),
    )


# Recording outcomes.


def record(
    engine: Engine,
    item: Claimed,
    delivery: Delivery,
    *,
    token: str,
    now: datetime,
    retry_max_seconds: int,
) -> bool:
    """Write the outcome of one send, if the claim is still ours; False if it was taken over."""
    result = DispatchResult()
    _settle(
        engine,
        token,
        [(item, delivery)],
        untried=[],
        now=now,
        retry_max_seconds=retry_max_seconds,
        result=result,
    )
    return result.lost == 0


def _release(conn: Connection, items: Sequence[Claimed], *, token: str, until: datetime) -> None:
    """Give back claimed messages that were not tried (the server is down): no attempt used."""
    conn.execute(_RELEASE, {"ids": [i.id for i in items], "match_token": token, "until": until})


def _settle(
    engine: Engine,
    token: str,
    outcomes: _Outcomes,
    *,
    untried: Sequence[Claimed],
    now: datetime,
    retry_max_seconds: int,
    result: DispatchResult,
) -> None:
    """Record a batch's outcomes and give back what was not tried, in one transaction;
    counted and logged once committed, so nothing is reported that was not written."""
    with engine.begin() as conn:
        ours = _write_outcomes(conn, token, outcomes, now=now, retry_max_seconds=retry_max_seconds)
        if untried:
            _release(conn, untried, token=token, until=now + backoff(1, retry_max_seconds))
    for item, delivery in outcomes:
        _count(result, item, delivery, ours=item.id in ours)


def _write_outcomes(
    conn: Connection, token: str, outcomes: _Outcomes, *, now: datetime, retry_max_seconds: int
) -> set[int]:
    """Write each outcome whose claim is still ours; the ids of those."""
    sent = [item.id for item, delivery in outcomes if delivery.outcome is Outcome.sent]
    ours = _record_sent(conn, token, sent, now=now)
    for item, delivery in outcomes:
        if delivery.outcome is not Outcome.sent and _record_failure(
            conn, token, item, delivery, now=now, retry_max_seconds=retry_max_seconds
        ):
            ours.add(item.id)
    return ours


def _record_sent(conn: Connection, token: str, ids: list[int], *, now: datetime) -> set[int]:
    if not ids:
        return set()
    return set(conn.execute(_RECORD_SENT, {"ids": ids, "match_token": token, "at": now}).scalars())


def _record_failure(
    conn: Connection,
    token: str,
    item: Claimed,
    delivery: Delivery,
    *,
    now: datetime,
    retry_max_seconds: int,
) -> bool:
    """A temporary failure goes back to pending after a backoff, a permanent one is failed;
    False if the claim was no longer ours."""
    attempts = item.attempts + 1
    params: dict[str, object] = {
        "match_id": item.id,
        "match_token": token,
        "n": attempts,
        "error": delivery.detail,
    }
    statement = _RECORD_FAILED
    if delivery.outcome is Outcome.temporary:
        params["next_at"] = now + backoff(attempts, retry_max_seconds)
        statement = _RECORD_RETRY
    return bool(conn.execute(statement, params).rowcount == 1)


_EVENTS = {
    Outcome.sent: "mail.sent",
    Outcome.temporary: "mail.retry",
    Outcome.permanent: "mail.failed",
}


def _count(result: DispatchResult, item: Claimed, delivery: Delivery, *, ours: bool) -> None:
    if not ours:
        result.lost += 1
        log.warning("meddelande %s: anspråket togs över av en annan utskickare", item.id)
        return
    event = _EVENTS[delivery.outcome]
    attempts = item.attempts + 1
    if delivery.outcome is Outcome.sent:
        result.sent += 1
        log_event(log, event, outbox_id=item.id, attempts=attempts)
        return
    if delivery.outcome is Outcome.temporary:
        result.retry_later += 1
    else:
        result.failed += 1
    result.errors.append(f"{item.id}: {delivery.detail}")
    error = _without_addresses(delivery.detail)
    log_event(log, event, outbox_id=item.id, attempts=attempts, error=error)


_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _without_addresses(text: str) -> str:
    """SMTP replies often quote the recipient; logs must not hold addresses."""
    return _ADDRESS.sub("<adress>", text)


# The loop.


def dispatch(
    engine: Engine,
    open_session: Callable[[], Sender],
    *,
    now: datetime,
    worker: str | None = None,
    batch_size: int = 50,
    lease: timedelta = timedelta(minutes=10),
    retry_max_seconds: int = 300,
    max_messages: int | None = None,
) -> DispatchResult:
    """Send what is due at `now`, a batch at a time, until nothing is left, `max_messages`
    have been tried or the server is unavailable. The SMTP connection is opened on the first
    message and serves the whole run."""
    worker = worker or worker_name()
    result = DispatchResult()
    tried = 0
    sender = open_session()
    try:
        while not result.server_unavailable:
            limit = batch_size if max_messages is None else min(batch_size, max_messages - tried)
            if limit <= 0:
                break
            batch = claim(engine, worker=worker, now=now, limit=limit, lease=lease)
            if not batch.items:
                break
            tried += _send_batch(
                engine, sender, batch, now=now, retry_max_seconds=retry_max_seconds, result=result
            )
    finally:
        sender.close()
    return result


def _send_batch(
    engine: Engine,
    sender: Sender,
    batch: Batch,
    *,
    now: datetime,
    retry_max_seconds: int,
    result: DispatchResult,
) -> int:
    """Send a claimed batch and record it; how many messages were tried."""
    outcomes: list[tuple[Claimed, Delivery]] = []
    try:
        for item in batch.items:
            delivery = sender.send(item.message, message_id=item.message_id, date=now)
            outcomes.append((item, delivery))
            if delivery.server_unavailable:
                # The rest would fail the same way: they go back without using an attempt.
                result.server_unavailable = True
                detail = _without_addresses(delivery.detail)
                log.warning("SMTP-servern är inte tillgänglig: %s", detail)
                break
    finally:
        # Also when a send raised: what went out is recorded, so only the message that raised
        # could go out twice; it and the rest stay claimed until the lease, as after a crash.
        untried = batch.items[len(outcomes) :] if result.server_unavailable else []
        _settle(
            engine,
            batch.token,
            outcomes,
            untried=untried,
            now=now,
            retry_max_seconds=retry_max_seconds,
            result=result,
        )
    return len(outcomes)


# Reading and retrying, for `tracker outbox` and the chef's page.


def list_messages(
    session: Session,
    *,
    failed_only: bool = False,
    sent: bool = False,
    withdrawn: bool = False,
    forvaltning: str | None = None,
    limit: int = 500,
) -> list[OutboxMessage]:
    """Messages not yet sent (or only the failed ones), oldest first; or, with `sent`, the
    latest sent, newest first; or, with `withdrawn`, the latest withdrawn, newest first.
    `forvaltning`: only that förvaltning's (None: all)."""
    if sent:
        statement = select(OutboxMessage).where(col(OutboxMessage.status) == SENT)
        statement = statement.order_by(
            col(OutboxMessage.sent_at).desc(), col(OutboxMessage.id).desc()
        )
    elif withdrawn:
        statement = select(OutboxMessage).where(col(OutboxMessage.status) == WITHDRAWN)
        statement = statement.order_by(col(OutboxMessage.id).desc())
    else:
        statuses = [FAILED] if failed_only else [PENDING, SENDING, FAILED]
        statement = select(OutboxMessage).where(col(OutboxMessage.status).in_(statuses))
        statement = statement.order_by(col(OutboxMessage.id))
    if forvaltning is not None:
        statement = statement.where(col(OutboxMessage.forvaltning) == forvaltning)
    return list(session.scalars(statement.limit(limit)))


def counts(session: Session, *, forvaltning: str | None = None) -> dict[str, int]:
    """How many messages there are per status (`forvaltning`: as for list_messages)."""
    statement = select(_M.c.status, func.count()).group_by(_M.c.status)
    if forvaltning is not None:
        statement = statement.where(_M.c.forvaltning == forvaltning)
    return {status: n for status, n in session.connection().execute(statement)}


def waiting_later(session: Session, *, now: datetime) -> tuple[int, datetime | None]:
    """The messages not yet due (held to be batched, or after a temporary failure), and the
    first moment one of them is: what a dispatch run now leaves alone."""
    statement = select(func.count(), func.min(_M.c.next_attempt_at)).where(
        _M.c.status == PENDING, _M.c.next_attempt_at > now
    )
    n, first = session.connection().execute(statement).one()
    return n, first


# Mail due longer ago than this and still waiting means nothing is sending the outbox: the
# scheduler does every outbox_interval_seconds (a minute by default), and a temporary failure
# sets the time of its next attempt ahead.
OVERDUE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxHealth:
    """What a monitor of the installation needs to know of the outbox."""

    failed: int  # failed for good: sent only if someone retries them
    overdue: int  # due more than OVERDUE_AFTER ago and still waiting


def outbox_health(session: Session, *, now: datetime) -> OutboxHealth:
    overdue = select(func.count()).where(
        _M.c.status == PENDING, _M.c.next_attempt_at <= now - OVERDUE_AFTER
    )
    return OutboxHealth(
        failed=counts(session).get(FAILED, 0),
        overdue=session.connection().execute(overdue).scalar_one(),
    )


def retry(
    session: Session, message_id: int | None, *, now: datetime, forvaltning: str | None = None
) -> int:
    """Put a failed (or waiting) message back in the queue to go out at once; without an id,
    every failed one. Returns how many. `forvaltning`: only that förvaltning's (None: all);
    another's is NotFound, as an unknown one."""
    if message_id is None:
        statement = update(_M).where(_M.c.status == FAILED)
        if forvaltning is not None:
            statement = statement.where(_M.c.forvaltning == forvaltning)
        done = session.connection().execute(
            statement.values(status=PENDING, next_attempt_at=now, claimed_by="")
        )
        return int(done.rowcount)
    row = session.get(OutboxMessage, message_id)
    if row is None or (forvaltning is not None and row.forvaltning != forvaltning):
        raise NotFound(f"Inget meddelande med nummer {message_id} i utkorgen.")
    if row.status == SENT:
        raise Refused(f"Meddelande {message_id} är redan skickat.")
    if row.status == SENDING:
        raise Refused(f"Meddelande {message_id} skickas just nu.")
    if row.status == WITHDRAWN:
        raise Refused(f"Meddelande {message_id} är återkallat och skickas inte.")
    done = session.connection().execute(
        update(_M)
        .where(_M.c.id == message_id, _M.c.status.in_([FAILED, PENDING]))
        .values(status=PENDING, next_attempt_at=now, claimed_by="")
    )
    session.expire(row)
    return int(done.rowcount)


def send_outbox(app: App, *, now: datetime, max_messages: int | None = None) -> DispatchResult:
    """Dispatch with the app's SMTP settings."""
    config = SmtpConfig.from_settings(app.settings)
    return dispatch(
        app.engine,
        lambda: SmtpSession(config),
        now=now,
        lease=timedelta(seconds=app.settings.outbox_lease_seconds),
        retry_max_seconds=app.settings.outbox_retry_max_seconds,
        max_messages=max_messages,
    )
