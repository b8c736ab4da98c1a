"""The outbox dispatcher against a real SMTP server: once and only once, whatever happens."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from notifications import Attachment, OutgoingMessage
from notifications.smtp import Delivery, SmtpConfig, SmtpSession
from tests.support import builders as b
from tests.support import dispatch_worker
from tests.support.smtp import ONE_FAILURE, SmtpServer, fail_one, free_port
from tracker.app import App
from tracker.errors import Refused
from tracker.models import OutboxMessage
from tracker.services import dispatch
from tracker.services.dispatch import claim, send_outbox
from tracker.services.outbox import enqueue

T0 = datetime(2018, 1, 10, 6, 0, tzinfo=b.STOCKHOLM).astimezone(b.UTC)


def queue(app: App, n: int, now: datetime, to: str = "mottagare{}@pitea.example") -> list[int]:
    with app.transaction() as s:
        rows = [
            enqueue(
                s,
                OutgoingMessage(
                    to=to.format(i),
                    subject=f"Meddelande {i} om åtgärder",
                    text=f"Text nummer {i}",
                    html=f"<p>Text nummer {i}</p>",
                ),
                kind="test",
                forvaltning="",
                now=now,
                domain="pitea.example",
            )
            for i in range(n)
        ]
        s.flush()
        return [r.id for r in rows]  # type: ignore[misc]


def rows(app: App) -> dict[int, OutboxMessage]:
    with app.transaction() as s:
        return {m.id: m for m in s.scalars(select(OutboxMessage))}  # type: ignore[misc]


def message_ids(server: SmtpServer) -> list[str]:
    return [str(m["Message-ID"]) for m in server.messages()]


def test_each_message_goes_out_once_with_its_message_id_and_attachment(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    ids = queue(mail, 2, T0)
    with mail.transaction() as s:
        enqueue(
            s,
            OutgoingMessage(
                to="namnd@pitea.example",
                subject="Återrapport",
                text="Bifogad återrapport.",
                html="<p>Bifogad återrapport.</p>",
                attachments=(Attachment("aterrapport.pdf", "application/pdf", b"%PDF-1.7 ..."),),
            ),
            kind="aterrapport",
            forvaltning="",
            now=T0,
            domain="pitea.example",
        )
    result = send_outbox(mail, now=T0)
    assert (result.sent, result.retry_later, result.failed) == (3, 0, 0)
    assert send_outbox(mail, now=T0 + timedelta(minutes=1)).attempted == 0

    stored = rows(mail)
    assert sorted(message_ids(smtp_server)) == sorted(m.message_id for m in stored.values())
    assert all(m.status == "sent" and m.sent_at == T0 and m.attempts == 1 for m in stored.values())
    first = smtp_server.messages()[0]
    assert first["Subject"] == "Meddelande 0 om åtgärder"
    assert first["Message-ID"] == stored[ids[0]].message_id
    assert first["Auto-Submitted"] == "auto-generated"
    report = smtp_server.messages()[2]
    assert report.get_content_type() == "multipart/mixed"
    (att,) = list(report.iter_attachments())
    assert att.get_filename() == "aterrapport.pdf"
    assert att.get_content() == b"%PDF-1.7 ..."
    assert report.get_body(("plain",)).get_content().strip() == "Bifogad återrapport."  # type: ignore[union-attr]


def test_an_hour_of_smtp_outage_delays_mail_about_an_hour_and_sends_each_once(app: App) -> None:
    server = SmtpServer(port=free_port())  # not started: connection refused
    mail = b.with_smtp(app, server.port)
    queue(mail, 5, T0)

    first = send_outbox(mail, now=T0)
    assert first.server_unavailable and first.attempted == 1, "one try, not one per message"
    assert all(m.status == "pending" for m in rows(mail).values())

    minute = T0
    for _ in range(60):
        minute += timedelta(minutes=1)
        assert send_outbox(mail, now=minute).sent == 0
    assert sum(m.attempts for m in rows(mail).values()) == 61, "one connection try per run"
    assert all(m.status == "pending" and m.last_error for m in rows(mail).values())

    server.start()
    try:
        while any(m.status != "sent" for m in rows(mail).values()):
            minute += timedelta(minutes=1)
            send_outbox(mail, now=minute)
            assert minute - T0 <= timedelta(minutes=66), "not sent within the backoff cap"
        assert len(server.received) == 5
        assert len(set(message_ids(server))) == 5
        # Further runs send nothing again.
        assert send_outbox(mail, now=minute + timedelta(minutes=10)).attempted == 0
    finally:
        server.stop()


def test_permanent_refusal_is_marked_failed_listed_and_can_be_retried(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    smtp_server.refuse["fel0@pitea.example"] = "550 5.1.1 Mottagaren finns inte"
    bad, good = queue(mail, 1, T0, to="fel{}@pitea.example") + queue(mail, 1, T0)

    result = send_outbox(mail, now=T0)
    assert (result.sent, result.failed) == (1, 1)
    with mail.transaction() as s:
        failed = dispatch.list_messages(s, failed_only=True)
    assert [m.id for m in failed] == [bad]
    assert failed[0].status == "failed" and "550" in failed[0].last_error
    # Not retried by itself.
    assert send_outbox(mail, now=T0 + timedelta(hours=5)).attempted == 0

    del smtp_server.refuse["fel0@pitea.example"]  # the address was corrected at the server
    with mail.transaction() as s:
        assert dispatch.retry(s, bad, now=T0 + timedelta(hours=5)) == 1
    assert send_outbox(mail, now=T0 + timedelta(hours=5)).sent == 1
    assert [m["To"] for m in smtp_server.messages()] == [
        "mottagare0@pitea.example",
        "fel0@pitea.example",
    ]
    with pytest.raises(Refused, match="redan skickat"), mail.transaction() as s:
        dispatch.retry(s, good, now=T0)


def test_temporary_refusal_is_retried_later_with_backoff(app: App, smtp_server: SmtpServer) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    smtp_server.refuse["mottagare0@pitea.example"] = "451 4.3.0 Försök igen senare"
    (mid,) = queue(mail, 1, T0)
    assert send_outbox(mail, now=T0).retry_later == 1
    row = rows(mail)[mid]
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(minutes=1),
    )
    assert send_outbox(mail, now=T0 + timedelta(minutes=1)).retry_later == 1
    assert rows(mail)[mid].next_attempt_at == T0 + timedelta(minutes=3)  # 2 minutes later
    assert send_outbox(mail, now=T0 + timedelta(minutes=2)).attempted == 0
    del smtp_server.refuse["mottagare0@pitea.example"]
    assert send_outbox(mail, now=T0 + timedelta(minutes=3)).sent == 1
    assert len(smtp_server.received) == 1


def test_an_address_that_cannot_be_right_fails_without_troubling_the_server(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    (mid,) = queue(mail, 1, T0, to="inte en adress{}")
    assert send_outbox(mail, now=T0).failed == 1
    assert rows(mail)[mid].status == "failed"
    assert smtp_server.received == []


def test_a_crash_between_claim_and_send_is_recovered_after_the_lease(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    queue(mail, 3, T0)
    crashed = claim(app.engine, worker="kraschad", now=T0, limit=10, lease=timedelta(minutes=10))
    assert len(crashed.items) == 3
    # ...and that dispatcher died here. Within its lease nobody else touches them:
    assert send_outbox(mail, now=T0 + timedelta(minutes=5)).attempted == 0
    assert all(m.status == "sending" for m in rows(mail).values())
    # After it, they are taken over and sent, once.
    assert send_outbox(mail, now=T0 + timedelta(minutes=11)).sent == 3
    assert len(smtp_server.received) == 3
    assert send_outbox(mail, now=T0 + timedelta(minutes=30)).attempted == 0


def test_a_late_outcome_from_a_dispatcher_whose_claim_was_taken_over_is_ignored(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    queue(mail, 1, T0)
    slow = claim(app.engine, worker="långsam", now=T0, limit=1, lease=timedelta(minutes=10))
    assert send_outbox(mail, now=T0 + timedelta(minutes=11)).sent == 1
    from notifications.smtp import SENT

    taken = dispatch.record(
        app.engine, slow.items[0], SENT, token=slow.token, now=T0, retry_max_seconds=300
    )
    assert not taken
    assert next(iter(rows(mail).values())).sent_at == T0 + timedelta(minutes=11)


def local(server: SmtpServer) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=server.port, mail_from="a@pitea.example")


def test_a_run_stops_at_max_messages_and_the_rest_wait_for_the_next(
    app: App, smtp_server: SmtpServer
) -> None:
    queue(app, 5, T0)
    first = dispatch.dispatch(
        app.engine, lambda: SmtpSession(local(smtp_server)), now=T0, batch_size=2, max_messages=3
    )
    assert (first.sent, len(smtp_server.received)) == (3, 3)
    assert sorted(m.status for m in rows(app).values()) == ["pending"] * 2 + ["sent"] * 3
    second = dispatch.dispatch(
        app.engine, lambda: SmtpSession(local(smtp_server)), now=T0, batch_size=2
    )
    assert second.sent == 2
    assert len(set(message_ids(smtp_server))) == len(smtp_server.received) == 5


class RaisesAt(SmtpSession):
    """A session whose n-th send raises, as a defect in building one message would."""

    def __init__(self, config: SmtpConfig, n: int) -> None:
        super().__init__(config)
        self.calls = 0
        self.n = n

    def send(self, message: OutgoingMessage, *, message_id: str, date: datetime) -> Delivery:
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("trasigt meddelande")
        return super().send(message, message_id=message_id, date=date)


def test_a_send_that_raises_keeps_what_went_out_recorded_and_the_rest_for_the_lease(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    queue(mail, 5, T0)
    with pytest.raises(RuntimeError, match="trasigt"):
        dispatch.dispatch(app.engine, lambda: RaisesAt(local(smtp_server), 3), now=T0)
    assert [m.status for _, m in sorted(rows(mail).items())] == ["sent"] * 2 + ["sending"] * 3
    assert send_outbox(mail, now=T0 + timedelta(minutes=5)).attempted == 0
    assert send_outbox(mail, now=T0 + timedelta(minutes=11)).sent == 3
    assert len(set(message_ids(smtp_server))) == len(smtp_server.received) == 5


def test_a_dispatcher_that_outlives_its_lease_has_its_outcomes_refused_and_counted_lost(
    app: App, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    queue(mail, 3, T0)
    later = T0 + timedelta(minutes=11)
    other: list[dispatch.DispatchResult] = []

    class Slow(SmtpSession):
        def send(self, message: OutgoingMessage, *, message_id: str, date: datetime) -> Delivery:
            if not other:  # it stalls past its lease and another dispatcher takes over
                other.append(send_outbox(mail, now=later))
            return super().send(message, message_id=message_id, date=date)

    slow = dispatch.dispatch(app.engine, lambda: Slow(local(smtp_server)), now=T0)
    assert (slow.lost, slow.sent, other[0].sent) == (3, 0, 3)
    assert all(
        m.status == "sent" and m.sent_at == later and m.attempts == 1 for m in rows(mail).values()
    )
    # Each went out twice, the price of a lease too short: the Message-ID tells the copies apart.
    assert sorted(set(message_ids(smtp_server))) == sorted(
        m.message_id for m in rows(mail).values()
    )
    assert len(smtp_server.received) == 6


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_two_dispatchers_at_once_send_each_message_once(
    app: App, db_url: str, smtp_server: SmtpServer, mode: str
) -> None:
    n = 120
    queue(app, n, T0)
    if mode == "threads":
        config = SmtpConfig(host="127.0.0.1", port=smtp_server.port, mail_from="a@pitea.example")
        start = threading.Barrier(2)
        sent: list[int] = []

        def worker() -> None:
            start.wait()
            r = dispatch.dispatch(app.engine, lambda: SmtpSession(config), now=T0, batch_size=10)
            sent.append(r.sent)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager, ProcessPoolExecutor(2, mp_context=ctx) as pool:
            barrier = manager.Barrier(2)
            futures = [
                pool.submit(dispatch_worker.run, db_url, smtp_server.port, T0, barrier)  # type: ignore[arg-type]
                for _ in range(2)
            ]
            sent = [f.result(timeout=120) for f in futures]
    assert sum(sent) == n
    assert len(smtp_server.received) == n
    assert len(set(message_ids(smtp_server))) == n
    assert all(m.status == "sent" for m in rows(app).values())


# --- one failure touches no other message ----------------------------------------------------


def queue_to(app: App, addresses: list[str], now: datetime) -> list[int]:
    ids: list[int] = []
    for address in addresses:
        ids += queue(app, 1, now, to=address)
    return ids


@pytest.mark.parametrize(("how", "outcome"), ONE_FAILURE.items())
def test_one_failed_message_leaves_every_other_in_the_run_sent(
    app: App, plain_server: SmtpServer, how: str, outcome: str
) -> None:
    mail = b.with_smtp(app, plain_server.port)
    bad = fail_one(plain_server, how)
    good = [f"mottagare{i}@pitea.example" for i in range(4)]
    ids = queue_to(mail, [good[0], good[1], bad, good[2], good[3]], T0)

    result = send_outbox(mail, now=T0)

    stored = rows(mail)
    failed = stored.pop(ids[2])
    assert all(m.status == "sent" for m in stored.values()), [m.last_error for m in stored.values()]
    assert sorted(r.rcpt_tos[0] for r in plain_server.received) == good
    assert not result.server_unavailable
    if outcome == "temporary":
        assert (result.sent, result.retry_later, result.failed) == (4, 1, 0)
        assert (failed.status, failed.attempts) == ("pending", 1)
        assert failed.next_attempt_at == T0 + timedelta(minutes=1), "retried later"
    else:
        assert (result.sent, result.retry_later, result.failed) == (4, 0, 1)
        assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error


def test_a_temporary_failure_of_one_message_is_sent_on_its_retry(
    app: App, plain_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, plain_server.port)
    bad = fail_one(plain_server, "dropped")
    (mid,) = queue_to(mail, [bad], T0)
    assert send_outbox(mail, now=T0).retry_later == 1
    plain_server.drop.clear()  # the server is mended
    assert send_outbox(mail, now=T0 + timedelta(minutes=1)).sent == 1
    assert rows(mail)[mid].status == "sent"
    assert [r.rcpt_tos for r in plain_server.received] == [(bad,)]


# --- addresses outside ASCII -------------------------------------------------------------------


def test_addresses_outside_ascii_are_delivered_through_a_server_with_smtputf8(
    app: App, smtp_server: SmtpServer
) -> None:
    assert smtp_server.smtputf8
    mail = b.with_smtp(app, smtp_server.port)
    queue_to(mail, ["åsa@kommunförvaltning.example", "bo@kommunförvaltning.example"], T0)
    assert send_outbox(mail, now=T0).sent == 2
    idn = "xn--kommunfrvaltning-swb.example"
    assert [r.rcpt_tos for r in smtp_server.received] == [(f"åsa@{idn}",), (f"bo@{idn}",)]
    assert [m["To"] for m in smtp_server.messages()] == [f"åsa@{idn}", f"bo@{idn}"]
    assert all(m.status == "sent" for m in rows(mail).values())


def test_without_smtputf8_a_non_ascii_local_part_fails_with_a_reason_and_the_rest_go(
    app: App, plain_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, plain_server.port)
    bad, good = queue_to(mail, ["åsa@pitea.example", "a@kommunförvaltning.example"], T0)
    result = send_outbox(mail, now=T0)
    assert (result.sent, result.failed) == (1, 1)
    stored = rows(mail)
    assert stored[good].status == "sent"
    assert stored[bad].status == "failed"
    assert "SMTPUTF8" in stored[bad].last_error and "å, ä eller ö" in stored[bad].last_error
    assert [r.rcpt_tos for r in plain_server.received] == [("a@xn--kommunfrvaltning-swb.example",)]
