"""Two `tracker scheduler` processes on one database and one SMTP server at the same time:
every reminder, every draft notice and every återrapport goes out exactly once.

The job store is primed as if the schedulers had been down since 06:50, so when both start
at 07:20 (their clocks moved there) the morning's reminder sweep, the 07:15 report sweep
and the dispatcher are all overdue and both processes catch them up at once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text
from sqlmodel import col, select

from notifications import OutgoingMessage
from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.models import OutboxMessage, Person, Report
from tracker.scheduler import JOB_TABLE, build_scheduler, ensure_jobs
from tracker.services import people, plans, reports
from tracker.services.outbox import enqueue_many
from tracker.services.reminders import recorded, send_reminders

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2018, 5, 23)  # a Wednesday; June's återrapport is drafted from 18 May
DOWN_SINCE = b.at(DAY, 6, 50)  # the schedulers' last run: the jobs' next runs are after it
NOW = b.at(DAY, 7, 20)  # both start here: 07:00 reminders and 07:15 reports were missed
OTHERS = 40  # more owners with a reminder due: digests take a while to write
QUEUED = 60  # messages already waiting in the outbox
WAIT = 45.0  # seconds: a deadline for the whole run, which takes under ten


@dataclass(frozen=True)
class Scene:
    chef: Person
    anna: Person
    erik: Person
    due_plan: int  # its June report is due for drafting
    sent_plan: int  # has an approved report waiting for the sweep to send it
    approved_report: int


def _scene(app: App, chef: Person, now: datetime) -> Scene:
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    erik = b.person(app, "erik.lund@pitea.example", "Erik Lund", now=now)
    plan_ids = []
    for title in ("Åtgärdsplan för ekonomi i balans", "Plan för skolskjutsar"):
        with app.transaction() as s:
            plan = plans.create_plan(
                s,
                now=now,
                title=title,
                forvaltning=chef.forvaltning,
                chef_id=chef.id,
                report_months="6",
                board_recipients="namnd@pitea.example, sekreterare@pitea.example",
                ort="Piteå",
                signatory_name=chef.name,
                signatory_title="förvaltningschef",
            )
            area = plans.ensure_area(s, plan, "Ekonomiskt stöd")
            assert plan.id is not None
            plan_ids.append(plan.id)
        if len(plan_ids) == 1:
            # Overdue (Anna), due in two weeks (Anna), overdue long enough to escalate (Erik).
            b.action(app, area, "Utbilda i systemet", now=now, owner=anna, due_on=date(2018, 5, 14))
            b.action(app, area, "Ta fram ett upplägg", now=now, owner=anna, due_on=date(2018, 6, 6))
            b.action(app, area, "Se över gränsytorna", now=now, owner=erik, due_on=date(2018, 4, 2))
        else:
            b.action(app, area, "Nytt avtal", now=now, owner=erik, due_on=date(2018, 9, 28))
    due_plan, sent_plan = plan_ids
    # June's report for the second plan was drafted and approved on Monday and Tuesday.
    with app.transaction() as s:
        draft = reports.draft_report(
            s,
            app.registry,
            sent_plan,
            as_of=date(2018, 5, 21),
            now=b.at(date(2018, 5, 21), 9),
            tz=app.tz,
            draft_days=app.settings.report_draft_days_before,
        )
        assert draft.id is not None
    with app.transaction() as s:
        reports.approve_report(
            s, app.registry, draft.id, chef, now=b.at(date(2018, 5, 22), 9), tz=app.tz
        )
    # Many more owners, each with an åtgärd due in two weeks: a sweep that has read what
    # was sent is still writing its digests when the other one reads.
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Digital skola", forvaltning=chef.forvaltning)
        area = plans.ensure_area(s, plan, "Lärplattform")
        for i in range(OTHERS):
            owner = people.ensure_person(
                s, f"ansvarig{i}@pitea.example", now=now, name=f"Ansvarig {i}"
            )
            plans.add_action(
                s,
                app.registry,
                area,
                now=now,
                text=f"Åtgärd {i}",
                state="pagar",
                owner=owner,
                due_on=date(2018, 6, 6),
            )
    # Mail queued while the schedulers were down (by `tracker reminders run`, say): both
    # dispatchers find it waiting and share it out at once.
    with app.transaction() as s:
        enqueue_many(
            s,
            [
                (
                    OutgoingMessage(
                        to=f"mottagare{i}@pitea.example",
                        subject=f"Meddelande {i} om åtgärder",
                        text=f"Text nummer {i}",
                        html=f"<p>Text nummer {i}</p>",
                    ),
                    "meddelande",
                    "",
                )
                for i in range(QUEUED)
            ],
            now=DOWN_SINCE - timedelta(hours=1),
            domain="pitea.example",
        )
    return Scene(chef, anna, erik, due_plan, sent_plan, draft.id)


def _drop_job_table(app: App) -> None:
    with app.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {JOB_TABLE}"))


@pytest.fixture
def mail_app(app: App, smtp_server: SmtpServer) -> Iterator[App]:
    """The app sending to the test SMTP server, the dispatcher every second, and no job
    table left over from another test (PostgreSQL is shared).

    The fixture's schema is recorded as the newest revision (tests/support/schema.py), as
    `tracker db upgrade` leaves it, since `tracker scheduler` starts on no other."""
    _drop_job_table(app)
    yield b.with_smtp(app, smtp_server.port, outbox_interval_seconds=1)
    _drop_job_table(app)


def _prime_job_store(app: App) -> None:
    """Store the jobs as a scheduler running at DOWN_SINCE left them, then stop it."""
    with time_machine.travel(DOWN_SINCE, tick=False):
        scheduler = build_scheduler(app, background=True)
        scheduler.start(paused=True)
        ensure_jobs(scheduler, app.settings)
        scheduler.shutdown()
    stored = _next_runs(app)
    assert set(stored) == {"reminder_sweep", "report_sweep", "outbox_dispatch"}
    assert all(DOWN_SINCE < t < NOW for t in stored.values()), stored


def _next_runs(app: App) -> dict[str, datetime]:
    with app.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOB_TABLE}")).all()
    return {i: datetime.fromtimestamp(t, tz=b.UTC) for i, t in rows if t is not None}


def _worker_env(app: App) -> dict[str, str]:
    s = app.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        {
            "TRACKER_ENVIRONMENT": s.environment,
            "TRACKER_DATABASE_URL": s.database_url,
            "TRACKER_SECRET_KEY": s.secret_key,
            "TRACKER_PUBLIC_BASE_URL": s.public_base_url,
            "TRACKER_TIMEZONE": s.timezone,
            "TRACKER_SMTP_HOST": s.smtp_host,
            "TRACKER_SMTP_PORT": str(s.smtp_port),
            "TRACKER_MAIL_FROM": s.mail_from,
            "TRACKER_OUTBOX_INTERVAL_SECONDS": str(s.outbox_interval_seconds),
            "TRACKER_REMINDER_HOUR": str(s.reminder_hour),
            "TRACKER_REMINDER_MINUTE": str(s.reminder_minute),
            "TRACKER_REMINDER_DAYS": s.reminder_days,
            "TRACKER_REPORT_DRAFT_DAYS_BEFORE": str(s.report_draft_days_before),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path
    ready: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_for(what: str, done: Callable[[], bool], workers: list[Worker], until: float) -> None:
    while not done():
        for w in workers:
            if w.proc.poll() is not None:
                pytest.fail(f"a scheduler exited early ({w.proc.returncode}):\n{w.output()}")
        if time.monotonic() > until:
            for w in workers:
                w.proc.send_signal(signal.SIGUSR1)  # each prints its threads' stacks
            time.sleep(0.5)
            logs = "\n\n".join(w.output() for w in workers)
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.05)


def _start_workers(app: App, tmp_path: Path, workers: list[Worker], n: int, until: float) -> None:
    """Start n workers into `workers` (the caller stops them, whatever happens here)."""
    env = _worker_env(app)
    for i in range(n):
        log, ready = tmp_path / f"scheduler-{i}.log", tmp_path / f"scheduler-{i}.ready"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.support.scheduler_worker",
                    "--now",
                    NOW.isoformat(),
                    "--ready",
                    str(ready),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        workers.append(Worker(proc, log, ready))
    # All have imported everything; let them go together.
    _wait_for(
        "the schedulers to load", lambda: all(w.ready.exists() for w in workers), workers, until
    )
    for w in workers:
        assert w.proc.stdin is not None
        w.proc.stdin.write(b"go\n")
        w.proc.stdin.close()


@contextmanager
def _job_store_held(app: App) -> Iterator[None]:
    """Keep every scheduler from marking a stored job as taken (its next run moved on),
    while they can still read the store. A scheduler reads the due jobs, starts the first
    and then waits here to update it: once each has started one, each holds the full list
    of overdue jobs and will run them all, as if they had read the store at the same
    instant. (Without this the first one to start usually takes every job and the other
    finds nothing due: two schedulers would rarely run the same job at once.)

    The UPDATE locks the rows on PostgreSQL, and the whole database for writers on SQLite.
    """
    with app.engine.connect() as conn:
        conn.execute(text(f"UPDATE {JOB_TABLE} SET next_run_time = next_run_time"))
        try:
            yield
        finally:
            conn.rollback()


def _stop(workers: list[Worker]) -> None:
    for w in workers:
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()


def _started(output: str, job_name: str) -> int:
    return len(re.findall(rf'Running job "{job_name} \(trigger', output))


def _finished(output: str, job_name: str) -> int:
    return len(re.findall(rf'Job "{job_name} \(trigger[^\n]*" executed successfully', output))


def test_two_schedulers_at_once_send_every_reminder_and_report_once(
    mail_app: App, chef: Person, now: datetime, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    app = mail_app
    until = time.monotonic() + WAIT
    scene = _scene(app, chef, now)
    # What this morning's sweep is to send: planned, nothing written.
    planned = send_reminders(app, now=NOW, dry_run=True)
    digests = {d.to: d for d in planned.digests}
    assert set(digests) == {scene.anna.email, scene.erik.email, chef.email} | {
        f"ansvarig{i}@pitea.example" for i in range(OTHERS)
    }
    # Her åtgärd due in two weeks was not updated for June's återrapport either (owners
    # were to update by 18 May): that is what its reminder says.
    assert [t for t, _ in digests[scene.anna.email].listed] == [
        "Försenade",
        "Inte uppdaterat inför återrapporten",
    ]
    assert digests[chef.email].kind == "eskalering"
    _prime_job_store(app)

    workers: list[Worker] = []
    try:
        with _job_store_held(app):
            _start_workers(app, tmp_path, workers, 2, until)
            _wait_for(
                "both schedulers to take up the overdue jobs",
                lambda: all(_started(w.output(), "Utkorgen") for w in workers),
                workers,
                until,
            )
        # Digests, the chef's draft, the nämnd's two, what was waiting.
        expected_mail = len(planned.digests) + 1 + 2 + QUEUED

        def settled() -> bool:
            if len(smtp_server.received) < expected_mail:
                return False
            if not all(
                _finished(w.output(), job)
                for w in workers
                for job in ("Påminnelser", "Återrapporter")
            ):
                return False
            with app.transaction() as s:
                return all(m.status == "sent" for m in s.exec(select(OutboxMessage)))

        _wait_for("both to run the sweeps and the mail to go out", settled, workers, until)
    finally:
        # Jobs already started finish before a process exits; nothing new starts.
        _stop(workers)
    outputs = [w.output() for w in workers]
    for w, out in zip(workers, outputs, strict=True):
        assert w.proc.returncode == 0, out
        assert "Traceback" not in out and "raised an exception" not in out, out

    # Each message once, by Message-ID and by recipient and subject, and as the outbox has it.
    received = [(r.rcpt_tos, r.message()) for r in smtp_server.received]
    by_id = Counter(str(m["Message-ID"]) for _, m in received)
    assert [i for i, n in by_id.items() if n > 1] == []
    by_rcpt = Counter((rcpt, str(m["Subject"])) for rcpt, m in received)
    assert [k for k, n in by_rcpt.items() if n > 1] == []
    with app.transaction() as s:
        outbox = list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        assert all(m.status == "sent" and m.attempts == 1 for m in outbox)
        assert Counter((m.message_id, (m.to_addr,), m.subject) for m in outbox) == Counter(
            (str(m["Message-ID"]), rcpt, str(m["Subject"])) for rcpt, m in received
        )
        assert sorted((m.kind, m.to_addr) for m in outbox) == sorted(
            [(d.kind, d.to) for d in planned.digests]
            + [
                ("aterrapport-utkast", chef.email),
                ("aterrapport", "namnd@pitea.example"),
                ("aterrapport", "sekreterare@pitea.example"),
            ]
            + [("meddelande", f"mottagare{i}@pitea.example") for i in range(QUEUED)]
        )
        sent_digests = {
            (m.to_addr, m.subject) for m in outbox if m.kind in ("påminnelse", "eskalering")
        }
        assert sent_digests == {(d.to, d.message.subject) for d in planned.digests}

        # Every reminder recorded once, for today.
        keys = [tuple(r) for r in recorded(s)]
        assert len(keys) == len(set(keys))
        assert set(keys) == {(DAY, a, t, anchor) for a, t, anchor in planned.reminders}

        # One draft for the plan whose report is due; the approved one sent, once.
        by_plan = Counter(r.plan_id for r in s.exec(select(Report)))
        assert by_plan == {scene.due_plan: 1, scene.sent_plan: 1}
        drafted = s.exec(select(Report).where(Report.plan_id == scene.due_plan)).one()
        assert (drafted.state, drafted.as_of) == ("utkast", DAY)
        sent = reports.get_report(s, scene.approved_report)
        assert sent.state == "skickad"
        assert sent.sent_at is not None and NOW <= sent.sent_at < NOW + timedelta(minutes=1)

    # Both processes ran both sweeps (one of them may have found the job's lock taken).
    for out in outputs:
        assert _started(out, "Påminnelser") == 1 and _started(out, "Återrapporter") == 1, out
