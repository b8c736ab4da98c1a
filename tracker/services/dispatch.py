"""Sending the outbox: claim a batch, send it over one SMTP session, record each outcome.

A claim is one conditional UPDATE (status 'pending' and due, or 'sending' with an expired
lease), so two dispatchers, in two threads or two processes on the same database, never
hold the same message. A dispatcher that dies between claim and send leaves its messages in
'sending'; once the lease runs out another one takes them over, and an outcome written for
a claim that was taken over is refused. Outcomes are committed in small groups (8) while
the next messages go out, so a crash can leave at most a couple of groups sent but not
recorded; those are sent again after the lease, with the same Message-ID, so a receiving
system can tell them apart. (Delivery is at least once: no protocol can tell whether a
message the server accepted just before a crash was recorded.)

Temporary failures (server unreachable, 4xx) go back to 'pending' with an exponential backoff;
permanent ones (5xx, an address that cannot be right) become 'failed' and stay visible until
someone retries them. Nothing is dropped.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from notifications import Attachment, OutgoingMessage
from notifications.smtp import Delivery, Outcome, Prepared, SmtpConfig, SmtpSession
from tracker.app import App
from tracker.errors import NotFound, Refused
from tracker.logs import log_event
from tracker.models import OutboxAttachment, OutboxMessage

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"

STATUS_LABELS = {
    PENDING: "Väntar",
    SENDING: "Skickas",
    SENT: "Skickat",
    FAILED: "Misslyckades",
}

_M = OutboxMessage.__table__  # type: ignore[attr-defined]
_ATT = OutboxAttachment.__table__  # type: ignore[attr-defined]

# Outcomes, only while the claim is still ours. Built once: they run for every message.
_OURS = (
    _M.c.id == bindparam("match_id"),
    _M.c.claimed_by == bindparam("match_token"),
    _M.c.status == SENDING,
)
# Many sent at once; RETURNING tells which claims were still ours.
_RECORD_SENT_MANY = (
    update(_M)
    .where(
        _M.c.id.in_(bindparam("ids", expanding=True)),
        _M.c.claimed_by == bindparam("match_token"),
        _M.c.status == SENDING,
    )
    .values(status=SENT, sent_at=bindparam("at"), last_error="", attempts=bindparam("n"))
    .returning(_M.c.id)
)
_RECORD_RETRY = (
    update(_M)
    .where(*_OURS)
    .values(
        status=PENDING,
        next_attempt_at=bindparam("next_at"),
        last_error=bindparam("error"),
        attempts=bindparam("n"),
    )
)
_RECORD_FAILED = (
    update(_M)
    .where(*_OURS)
    .values(status=FAILED, last_error=bindparam("error"), attempts=bindparam("n"))
)


class Sender(Protocol):
    """What the dispatcher needs of an SMTP session (notifications.smtp.SmtpSession)."""

    def prepare(
        self, message: OutgoingMessage, *, message_id: str, date: datetime
    ) -> Prepared | Delivery: ...

    def send_prepared(self, prepared: Prepared | Delivery) -> Delivery: ...

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


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, max_seconds: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4, ... minutes, never more than the cap."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), max_seconds))


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return or_(
        and_(_M.c.status == PENDING, _M.c.next_attempt_at <= now),
        and_(_M.c.status == SENDING, _M.c.claimed_at < now - lease),
    )


def claim(engine: Engine, *, worker: str, now: datetime, limit: int, lease: timedelta) -> Batch:
    """Claim up to `limit` due messages in one conditional UPDATE, and read them back.

    The WHERE is checked again on each row as it is updated, so a row another dispatcher
    claimed first is skipped, never taken twice; on PostgreSQL SKIP LOCKED keeps two
    dispatchers from waiting on each other's rows.
    """
    token = f"{worker}/{uuid.uuid4().hex[:12]}"
    condition = _claimable(now, lease)
    due = select(_M.c.id).where(condition).order_by(_M.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with engine.begin() as conn:
        claimed = conn.execute(
            update(_M)
            .where(_M.c.id.in_(due.scalar_subquery()), condition)
            .values(status=SENDING, claimed_by=token, claimed_at=now)
        )
        if claimed.rowcount == 0:
            return Batch(token, [])
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                _M.c.id,
                _M.c.message_id,
                _M.c.attempts,
                _M.c.to_addr,
                _M.c.subject,
                _M.c.body_text,
                _M.c.body_html,
            )
            .where(_M.c.claimed_by == token, _M.c.status == SENDING)
            .order_by(_M.c.id)
        ).all()
        attachments: dict[int, list[Attachment]] = {}
        ids = [r.id for r in rows]
        if ids:
            for a in conn.execute(
                select(_ATT.c.message_id, _ATT.c.filename, _ATT.c.content_type, _ATT.c.data)
                .where(_ATT.c.message_id.in_(ids))
                .order_by(_ATT.c.id)
            ):
                attachments.setdefault(a.message_id, []).append(
                    Attachment(filename=a.filename, content_type=a.content_type, data=a.data)
                )
    items = [
        Claimed(
            id=r.id,
            message_id=r.message_id,
            attempts=r.attempts,
            message=OutgoingMessage(
                to=r.to_addr,
                subject=r.subject,
                text=r.body_text,
                html=r.body_html,
                attachments=tuple(attachments.get(r.id, ())),
            ),
        )
        for r in rows
    ]
    return Batch(token, items)


def _outcome(
    item: Claimed, delivery: Delivery, *, token: str, now: datetime, retry_max_seconds: int
) -> tuple[Any, dict[str, object]]:
    """The statement and parameters that record a failed attempt."""
    attempts = item.attempts + 1
    params: dict[str, object] = {"match_id": item.id, "match_token": token, "n": attempts}
    if delivery.outcome is Outcome.temporary:
        params.update(next_at=now + backoff(attempts, retry_max_seconds), error=delivery.detail)
        return _RECORD_RETRY, params
    params["error"] = delivery.detail
    return _RECORD_FAILED, params


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
    outcomes = _Outcomes(engine, now, retry_max_seconds)
    try:
        outcomes.commit([(item, delivery, token)])
    finally:
        outcomes.close()
    return outcomes.result.lost == 0


def release(engine: Engine, items: Sequence[Claimed], *, token: str, until: datetime) -> None:
    """Give back claimed messages that were not tried (the server is down): no attempt used."""
    if not items:
        return
    with engine.begin() as conn:
        conn.execute(
            update(_M)
            .where(
                _M.c.id.in_([i.id for i in items]),
                _M.c.claimed_by == token,
                _M.c.status == SENDING,
            )
            .values(status=PENDING, next_attempt_at=until)
        )


_Group = list[tuple[Claimed, Delivery, str]]


class _Outcomes:
    """Writes outcomes, a group per transaction, on a connection of its own."""

    def __init__(self, engine: Engine, now: datetime, retry_max_seconds: int) -> None:
        self.engine = engine
        self.now = now
        self.retry_max_seconds = retry_max_seconds
        self.result = DispatchResult()
        self._conn: Connection | None = None

    def commit(self, group: _Group) -> None:
        if self._conn is None:
            self._conn = self.engine.connect()
        with self._conn.begin():
            ours = self._write(self._conn, group)
        for item, delivery, _ in group:
            self._count(item, delivery, item.id in ours)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def _write(self, conn: Connection, group: _Group) -> set[int]:
        """Record a group's outcomes; the ids whose claim was still ours."""
        ours: set[int] = set()
        sent: dict[tuple[str, int], list[int]] = defaultdict(list)
        for item, delivery, token in group:
            if delivery.outcome is Outcome.sent:
                sent[(token, item.attempts + 1)].append(item.id)
                continue
            statement, params = _outcome(
                item,
                delivery,
                token=token,
                now=self.now,
                retry_max_seconds=self.retry_max_seconds,
            )
            if conn.execute(statement, params).rowcount == 1:
                ours.add(item.id)
        for (token, attempts), ids in sent.items():
            rows = conn.execute(
                _RECORD_SENT_MANY,
                {"ids": ids, "match_token": token, "at": self.now, "n": attempts},
            )
            ours.update(rows.scalars())
        return ours

    def _count(self, item: Claimed, delivery: Delivery, ours: bool) -> None:
        result = self.result
        attempts = item.attempts + 1
        if not ours:
            result.lost += 1
            log.warning("meddelande %s: anspråket togs över av en annan utskickare", item.id)
        elif delivery.outcome is Outcome.sent:
            result.sent += 1
            log_event(log, "mail.sent", outbox_id=item.id, attempts=attempts)
        elif delivery.outcome is Outcome.temporary:
            result.retry_later += 1
            result.errors.append(f"{item.id}: {delivery.detail}")
            log_event(
                log,
                "mail.retry",
                outbox_id=item.id,
                attempts=attempts,
                error=_without_addresses(delivery.detail),
            )
        else:
            result.failed += 1
            result.errors.append(f"{item.id}: {delivery.detail}")
            log_event(
                log,
                "mail.failed",
                outbox_id=item.id,
                attempts=attempts,
                error=_without_addresses(delivery.detail),
            )


_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _without_addresses(text: str) -> str:
    """SMTP replies often quote the recipient; logs must not hold addresses."""
    return _ADDRESS.sub("<adress>", text)


@dataclass(frozen=True)
class _Ready:
    """A claimed batch with its messages already turned into bytes."""

    batch: Batch
    prepared: list[Prepared | Delivery]


class _DatabaseSide(threading.Thread):
    """The database side of a run, in a thread of its own, so the SMTP connection is kept
    busy: it claims and prepares the next batch and commits outcomes while the main
    thread sends. Work is handed over per batch and per group of outcomes, not per
    message: a hand-over between threads costs about as much as one message's work.

    At most `groups_in_flight` groups of outcomes wait for their commit: that bounds what
    a crash could leave sent but unrecorded, for another dispatcher to send again (with
    the same Message-ID) after the lease.
    """

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        retry_max_seconds: int,
        groups_in_flight: int = 2,
    ) -> None:
        super().__init__(name="utkorg-db", daemon=True)
        self.engine = engine
        self.sender = sender
        self.worker = worker
        self.now = now
        self.lease = lease
        self.outcomes = _Outcomes(engine, now, retry_max_seconds)
        self.batches: queue.SimpleQueue[_Ready | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self._requests: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._slots = threading.Semaphore(groups_in_flight)
        self._groups_in_flight = groups_in_flight
        self._stopping = False

    def request_batch(self, limit: int) -> None:
        self._requests.put(("batch", limit))

    def record(self, group: _Group) -> None:
        self._slots.acquire()
        self._requests.put(("record", group))

    def stop(self) -> None:
        """Commit every outcome handed over, claim nothing more, and end the thread."""
        self._stopping = True
        self._requests.put(("stop", None))
        self.join()

    def run(self) -> None:
        try:
            while True:
                kind, arg = self._requests.get()
                if kind == "stop":
                    break
                if kind == "record":
                    try:
                        self.outcomes.commit(arg)
                    finally:
                        self._slots.release()
                    continue
                if self._stopping:
                    self.batches.put(None)
                    continue
                batch = claim(
                    self.engine, worker=self.worker, now=self.now, limit=arg, lease=self.lease
                )
                if not batch.items:
                    self.batches.put(None)
                    continue
                prepared: list[Prepared | Delivery] = []
                for i in batch.items:
                    prepared.append(
                        self.sender.prepare(i.message, message_id=i.message_id, date=self.now)
                    )
                    # Let the sending thread have the interpreter as soon as a reply comes
                    # in, rather than after CPython's 5 ms switch interval.
                    time.sleep(0)
                self.batches.put(_Ready(batch, prepared))
        except BaseException as exc:
            self.error = exc
            self.batches.put(None)  # the main thread must not wait for a batch
            for _ in range(self._groups_in_flight):
                self._slots.release()
        finally:
            self.outcomes.close()


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
    commit_every: int = 8,
) -> DispatchResult:
    """Send what is due at `now` until nothing is left, the limit is reached or the server
    is unavailable. The SMTP connection is opened on the first message; outcomes are
    committed in groups of `commit_every`."""
    sender = open_session()  # connects on the first send, not here
    side = _DatabaseSide(
        engine,
        sender,
        worker=worker or worker_name(),
        now=now,
        lease=lease,
        retry_max_seconds=retry_max_seconds,
    )
    result = side.outcomes.result
    attempted = 0
    unsent: list[tuple[Batch, list[Claimed]]] = []
    side.start()
    try:
        side.request_batch(batch_size if max_messages is None else min(batch_size, max_messages))
        while True:
            ready = side.batches.get()
            if ready is None:
                break
            attempted_after = attempted + len(ready.batch.items)
            more = max_messages is None or attempted_after < max_messages
            if more:  # claimed and prepared while this batch is sent
                side.request_batch(
                    batch_size
                    if max_messages is None
                    else min(batch_size, max_messages - attempted_after)
                )
            group: _Group = []
            items = ready.batch.items
            for i, item in enumerate(items):
                delivery = sender.send_prepared(ready.prepared[i])
                attempted += 1
                group.append((item, delivery, ready.batch.token))
                if delivery.server_unavailable:
                    result.server_unavailable = True
                    unsent.append((ready.batch, items[i + 1 :]))
                    log.warning("SMTP-servern är inte tillgänglig: %s", delivery.detail)
                    break
                if len(group) >= commit_every:
                    side.record(group)
                    group = []
            if group:
                side.record(group)
            if result.server_unavailable or not more:
                break
    finally:
        side.stop()
        try:
            # A batch claimed ahead but not sent goes back at once; after an outage, later.
            while not side.batches.empty():
                extra = side.batches.get_nowait()
                if extra is not None:
                    unsent.append((extra.batch, extra.batch.items))
            until = now + backoff(1, retry_max_seconds) if result.server_unavailable else now
            for batch, items in unsent:
                release(engine, items, token=batch.token, until=until)
        finally:
            sender.close()
    if side.error is not None:
        raise RuntimeError("utkorgen: utskicket avbröts") from side.error
    return result


# Reading and retrying, for `tracker outbox` and the chef's page.


def list_messages(
    session: Session,
    *,
    failed_only: bool = False,
    sent: bool = False,
    forvaltning: str | None = None,
    limit: int = 500,
) -> list[OutboxMessage]:
    """Messages not yet sent (or only the failed ones), oldest first; or, with `sent`, the
    latest sent, newest first. `forvaltning`: only that förvaltning's (None: all)."""
    if sent:
        statement = select(OutboxMessage).where(col(OutboxMessage.status) == SENT)
        statement = statement.order_by(
            col(OutboxMessage.sent_at).desc(), col(OutboxMessage.id).desc()
        )
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
