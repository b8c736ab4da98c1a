"""Reminder benchmark: 100,000 actions, 10,000 owners, on SQLite.

1. The sweep: find what is due and write one digest per person to the outbox (one
   transaction), the first time after importing plans that have run for a year, with
   actions past their date standing as in bench/core.py (most done, a few late). Target:
   under 5 s. Then the next day's sweep (the everyday case), and at the end a stress case
   where a fifth of the actions past their date are late and nearly every owner gets a
   digest.
2. Delivery: the dispatcher (claim, build the MIME message, send over yagmail's SMTP session,
   record each outcome) to a local aiosmtpd server in a process of its own; then the same
   messages with plain smtplib over one connection, as the baseline, two ways: building
   each message from the same outbox row in the loop (like for like: both turn stored
   content into a message and send it; the target is checked against this one), and
   sending bytes built beforehand (SMTP alone, the strictest comparison). Target: 10,000
   digests in under 60 s (a few thousand go out on a morning). The ratio to smtplib is
   printed beside it, not gated: what the dispatcher adds (claiming, recording each outcome
   in the outbox, a log line a message) is the price of at-least-once delivery, and the
   ratio moves with the load on the machine, as the receiver runs on the same cores.

CPU time and the load average are printed too: on a shared machine wall time says as much
about the neighbours as about this code.

Usage: python bench/reminders.py [--database-url URL] [--deliver N]
(default: a fresh SQLite file in a temp dir; all digests delivered)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import smtplib
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlmodel import SQLModel

from config import load_settings
from notifications import OutgoingMessage
from notifications.smtp import SmtpConfig, SmtpSession, mime_bytes
from tracker.app import App
from tracker.db import make_engine
from tracker.models import Action, Area, OutboxMessage, Person, Plan
from tracker.services.dispatch import dispatch
from tracker.services.reminders import send_reminders
from workflows import default_registry

M = OutboxMessage.__table__  # type: ignore[attr-defined]
TODAY = date(2018, 6, 4)  # a Monday
NOW = datetime(2018, 6, 4, 7, 0, tzinfo=ZoneInfo("Europe/Stockholm")).astimezone(UTC)
N_PLANS = 20
NOTES = [
    "Pågår enligt tidsplan. Arbetsgruppen har träffats och ett första underlag är klart.",
    "Försenad på grund av sjukskrivning; ny plan tas fram under hösten.",
    "Upphandlingen är avslutad och avtal tecknat. Införandet startar efter sommaren.",
    "",
]


def fresh_app(url: str) -> App:
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    settings = load_settings(database_url=url, secret_key="b" * 40, mail_from="bench@bench.example")
    return App(settings=settings, engine=engine, registry=default_registry())


# How actions past their date stand: as bench/core.py has it (most done, a few late), and a
# stress case where a fifth are late and nearly every owner gets a digest on day one.
PAST_DUE_STATES = ["klar", "utvarderad", "pagar", "ej_paborjat"]
REALISTIC = [50, 45, 3, 2]
STRESS = [45, 35, 15, 5]


def seed(app: App, n_actions: int, n_owners: int, weights: list[int]) -> None:
    """Bulk inserts: plans that have run for a year, swept for the first time."""
    rnd = random.Random(7)
    with app.engine.begin() as conn:
        conn.execute(
            insert(Person),
            [
                {
                    "name": f"Chef {k}",
                    "email": f"chef{k}@bench.example",
                    "role": "chef",
                    "forvaltning": f"Förvaltning {k}",
                    "created_at": NOW,
                }
                for k in range(1, N_PLANS + 1)
            ]
            + [
                {
                    "name": f"Ägare {i}",
                    "email": f"agare{i}@bench.example",
                    "role": "owner",
                    "forvaltning": "",
                    "created_at": NOW,
                }
                for i in range(1, n_owners + 1)
            ],
        )
        conn.execute(
            insert(Plan),
            [
                {
                    "title": f"Åtgärdsplan {k}",
                    "forvaltning": f"Förvaltning {k}",
                    "background": "",
                    # One plan in four has its återrapport called today.
                    "next_report_on": TODAY + timedelta(days=21) if k % 4 == 0 else None,
                    "created_at": NOW,
                }
                for k in range(1, N_PLANS + 1)
            ],
        )
        conn.execute(
            insert(Area),
            [
                {"plan_id": k, "title": f"Område {j}", "position": j, "section": ""}
                for k in range(1, N_PLANS + 1)
                for j in range(1, 6)
            ],
        )
        rows = []
        for i in range(n_actions):
            due = TODAY + timedelta(days=rnd.randrange(-365, 365))
            if due < TODAY:
                state = rnd.choices(PAST_DUE_STATES, weights=weights)[0]
            else:
                state = rnd.choice(["ej_paborjat", "pagar", "pagar"])
            plan = 1 + i % N_PLANS
            note = rnd.choice(NOTES)
            rows.append(
                {
                    "plan_id": plan,
                    "area_id": (plan - 1) * 5 + 1 + i % 5,
                    "position": i,
                    "text": f"Åtgärd {i}: ta fram och genomföra rutiner för uppföljning",
                    "owner_id": N_PLANS + 1 + rnd.randrange(n_owners),
                    "workflow": "atgard",
                    "state": state,
                    "due_on": due,
                    "evaluate_on": due + timedelta(days=120),
                    "tidsplan": f"Klart till {due:%B %Y}.",
                    "progress_note": note,
                    "progress_at": NOW - timedelta(days=30) if note else None,
                    "expected_effect": "",
                    "follow_up": "",
                    "target_group": "",
                    "version": 1,
                    "updated_at": NOW,
                }
            )
        conn.execute(insert(Action), rows)


# A counting SMTP server in its own process, so it does not share the GIL with the sender.


def _serve(port: Any, count: Synchronized[int], stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    controller = Controller(Counter(), hostname="127.0.0.1", port=free)
    controller.start()
    port.value = free
    stop.wait()
    controller.stop()


def bench_sweep(app: App, now: datetime) -> tuple[float, float, int, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    result = send_reminders(app, now=now)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return elapsed, cpu, len(result.digests), len(result.reminders)


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return ""


def bench_delivery(
    app: App,
    port: int,
    count: Synchronized[int],
    n: int,
) -> tuple[float, float, float]:
    config = SmtpConfig(host="127.0.0.1", port=port, mail_from=app.settings.mail_from)
    # Deliver only the first n: the rest wait for a later run.
    with app.engine.begin() as conn:
        cut = conn.execute(select(M.c.id).order_by(M.c.id).offset(n).limit(1)).scalar()
        if cut is not None:
            conn.execute(
                update(M).where(M.c.id >= cut).values(next_attempt_at=NOW + timedelta(days=1))
            )
    before = count.value
    t0 = time.perf_counter()
    result = dispatch(app.engine, lambda: SmtpSession(config), now=NOW, batch_size=100)
    ours = time.perf_counter() - t0
    assert result.sent == n and count.value - before == n, (result, count.value - before)

    # The same messages, prebuilt, over one plain smtplib connection.
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(
                M.c.message_id,
                M.c.to_addr,
                M.c.subject,
                M.c.body_text,
                M.c.body_html,
            )
            .where(M.c.status == "sent")
            .order_by(M.c.id)
        ).all()

    def build(r: Any) -> bytes:
        return mime_bytes(
            OutgoingMessage(r.to_addr, r.subject, r.body_text, r.body_html),
            from_header=config.mail_from,
            message_id=r.message_id,
            date=NOW,
        )

    before = count.value
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for r in rows:
            smtp.sendmail(config.mail_from, [r.to_addr], build(r))
    plain_built = time.perf_counter() - t0
    raws = [(r.to_addr, build(r)) for r in rows]
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, raw in raws:
            smtp.sendmail(config.mail_from, [to], raw)
    plain_bytes = time.perf_counter() - t0
    assert count.value - before == 2 * n
    return n / ours, n / plain_built, n / plain_bytes


def sweep_line(label: str, elapsed: float, cpu: float, digests: int, reminders: int) -> str:
    ok = "OK" if elapsed < 5 else "MISSED"
    return (
        f"sweep, {label}: {digests:,} digests with {reminders:,} reminders written to the "
        f"outbox in {elapsed:.2f} s (CPU {cpu:.2f} s; {load()}); target < 5 s: {ok}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=None, help="how many to send (all)")
    parser.add_argument("--no-stress", action="store_true", help="skip the stress case")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    port, count, stop = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Event()
    server = ctx.Process(target=_serve, args=(port, count, stop), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            app = fresh_app(url)
            t0 = time.perf_counter()
            seed(app, args.actions, args.owners, REALISTIC)
            print(
                f"seed {args.actions:,} actions, {args.owners:,} owners (bulk insert): "
                f"{time.perf_counter() - t0:.2f} s"
            )
            elapsed, cpu, digests, reminders = bench_sweep(app, NOW)
            print(sweep_line(f"first on {TODAY}", elapsed, cpu, digests, reminders))
            with app.engine.connect() as conn:
                size = conn.execute(select(func.avg(func.length(M.c.body_text)))).scalar()
            print(f"  average text part: {size:,.0f} characters")
            next_day = NOW + timedelta(days=1)
            elapsed, cpu, digests_2, reminders_2 = bench_sweep(app, next_day)
            print(
                sweep_line(f"the next day, {next_day.date()}", elapsed, cpu, digests_2, reminders_2)
            )
            deadline = time.monotonic() + 30
            while port.value == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            n = min(args.deliver or digests, digests)
            ours, built, raw = bench_delivery(app, port.value, count, n)
            per_10k = 10_000 / ours
            ok = "OK" if per_10k < 60 else "MISSED"
            print(
                f"delivery of {n:,} digests to aiosmtpd ({load()}): dispatcher {ours:,.0f}/s, "
                f"{n / ours:.1f} s ({per_10k:.1f} s for 10,000 at that rate); "
                f"target 10,000 < 60 s: {ok}"
            )
            print(
                f"  beside plain smtplib over one connection: {built:,.0f}/s building each "
                f"message (ratio {ours / built:.2f}), {raw:,.0f}/s sending prebuilt bytes "
                f"(ratio {ours / raw:.2f})"
            )
            app.engine.dispose()
            if not args.no_stress and args.database_url is None:
                app = fresh_app(f"sqlite:///{Path(tmp) / 'stress.db'}")
                seed(app, args.actions, args.owners, STRESS)
                elapsed, cpu, digests, reminders = bench_sweep(app, NOW)
                print(
                    sweep_line(
                        "stress (a fifth of past-due actions late)",
                        elapsed,
                        cpu,
                        digests,
                        reminders,
                    )
                )
                app.engine.dispose()
    finally:
        stop.set()
        server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
