"""The scheduler: jobs kept in the database, caught up once after downtime, one at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from sqlalchemy import text

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker import jobs
from tracker.app import App
from tracker.locks import job_lock
from tracker.models import Person
from tracker.scheduler import JOB_TABLE, build_scheduler, job_specs, start


def _drop_job_table(app: App) -> None:
    with app.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {JOB_TABLE}"))


@pytest.fixture
def sched_app(app: App) -> Iterator[App]:
    """The app, with no job table left over from another test (PostgreSQL is shared)."""
    _drop_job_table(app)
    yield app
    _drop_job_table(app)


def test_jobs_are_stored_by_reference_and_survive_a_restart(sched_app: App) -> None:
    first = build_scheduler(sched_app, background=True)
    start(first, sched_app.settings)
    stored = {j.id: j for j in first.get_jobs()}
    assert {i: j.func_ref for i, j in stored.items()} == {
        "reminder_sweep": "tracker.jobs:reminder_sweep",
        "report_sweep": "tracker.jobs:report_sweep",
        "outbox_dispatch": "tracker.jobs:outbox_dispatch",
    }
    assert all(j.coalesce and j.max_instances == 1 for j in stored.values())
    assert stored["reminder_sweep"].misfire_grace_time == 12 * 3600
    next_sweep = stored["reminder_sweep"].next_run_time
    first.shutdown()

    again = build_scheduler(sched_app, background=True)
    start(again, sched_app.settings)
    try:
        # Found in the store, not added again with a recomputed time.
        assert again.get_job("reminder_sweep").next_run_time == next_sweep
    finally:
        again.shutdown()


def test_missed_runs_are_caught_up_once_after_downtime(sched_app: App) -> None:
    first = build_scheduler(sched_app, background=True)
    start(first, sched_app.settings)
    first.pause()
    went_down = datetime.now(UTC) - timedelta(minutes=10)
    # Ten one-minute runs missed while the scheduler was down.
    first.modify_job("outbox_dispatch", next_run_time=went_down)
    first.shutdown()

    events: list[JobEvent] = []
    ran = threading.Event()

    def listen(event: JobEvent) -> None:
        if event.job_id == "outbox_dispatch":
            events.append(event)
            ran.set()

    restarted = datetime.now(UTC)
    again = build_scheduler(sched_app, background=True)
    again.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    start(again, sched_app.settings)
    try:
        assert ran.wait(30), "the missed job did not run after the restart"
        job = again.get_job("outbox_dispatch")
        assert job is not None and job.next_run_time > restarted
        assert len(events) == 1 and events[0].code == EVENT_JOB_EXECUTED
        assert events[0].scheduled_run_time < restarted
    finally:
        again.shutdown()


def test_a_changed_reminder_hour_reschedules_the_stored_job(sched_app: App) -> None:
    first = build_scheduler(sched_app, background=True)
    start(first, sched_app.settings)
    first.shutdown()
    later = App(
        settings=sched_app.settings.model_copy(update={"reminder_hour": 9}),
        engine=sched_app.engine,
        registry=sched_app.registry,
    )
    again = build_scheduler(later, background=True)
    start(again, later.settings)
    try:
        job = again.get_job("reminder_sweep")
        assert job is not None
        assert job.next_run_time.astimezone(b.STOCKHOLM).hour == 9
    finally:
        again.shutdown()


def test_reminders_run_on_weekday_mornings_stockholm_time_across_dst(sched_app: App) -> None:
    trigger = job_specs(sched_app.settings)[0].trigger
    # Saturday 24 March 2018; summer time starts on Sunday 25 March.
    nxt = trigger.get_next_fire_time(None, datetime(2018, 3, 24, 12, 0, tzinfo=UTC))
    assert nxt == datetime(2018, 3, 26, 5, 0, tzinfo=UTC)  # Monday 07:00 CEST
    nxt = trigger.get_next_fire_time(None, datetime(2018, 1, 12, 7, 0, tzinfo=UTC))
    assert nxt == datetime(2018, 1, 15, 6, 0, tzinfo=UTC)  # Monday 07:00 CET


def test_a_broken_schedule_stops_the_scheduler_with_the_error(sched_app: App) -> None:
    broken = sched_app.settings.model_copy(update={"reminder_days": "fredagsmys"})
    scheduler = build_scheduler(sched_app)  # blocking: must not hang paused
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start(scheduler, broken)
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert errors and "fredagsmys" in str(errors[0])


def test_only_one_process_holds_a_jobs_lock_on_postgresql(app: App) -> None:
    with job_lock(app.engine, "reminder_sweep") as first:
        with job_lock(app.engine, "reminder_sweep") as second:
            assert first
            # SQLite serves one host: the unique keys and claims are the guard there.
            assert second is (app.engine.dialect.name != "postgresql")
        with job_lock(app.engine, "outbox_dispatch") as other:
            assert other
    with job_lock(app.engine, "reminder_sweep") as after:
        assert after


def test_the_reminder_job_reads_the_clock_and_sends_at_once(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    t0 = b.at(date(2018, 1, 3))
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=t0)
    _, area = b.plan(app, now=t0)
    b.action(app, area, "Försenad åtgärd", now=t0, owner=owner, due_on=date(2018, 1, 5))
    jobs.bind(mail)
    with time_machine.travel(b.at(date(2018, 1, 10)), tick=False):
        if app.engine.dialect.name == "postgresql":
            with job_lock(app.engine, "reminder_sweep"):
                jobs.reminder_sweep()  # another scheduler process is at it: skip
            assert smtp_server.received == []
        jobs.reminder_sweep()
        jobs.reminder_sweep()  # a second run the same morning adds nothing
    assert [str(m["To"]) for m in smtp_server.messages()] == [owner.email]
