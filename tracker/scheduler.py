"""The scheduler: APScheduler 3 with its job store in the app's database.

- Jobs are stored by textual reference ("tracker.jobs:reminder_sweep"), so any entry point
  can run them, and they survive a restart.
- Catch-up: the scheduler starts paused, adds a job only if the store lacks it (or changes
  its trigger when the configuration changed), then resumes. `replace_existing=True` at
  every start would recompute the next run and silently drop the runs missed while down.
- coalesce=True: after downtime a job runs once, not once per missed run; max_instances=1:
  never two runs of one job at once in a process; misfire_grace_time: how late a missed run
  may still start. Across processes, see tracker.locks.
- Cron triggers carry their time zone (Europe/Stockholm), not the system's.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Settings
from tracker import jobs
from tracker.app import App

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    name: str
    trigger: BaseTrigger
    # Seconds after its time a missed run may still start (after a restart, say).
    misfire_grace_time: int


def job_specs(settings: Settings) -> list[JobSpec]:
    """Every scheduled job."""
    tz = ZoneInfo(settings.timezone)
    return [
        JobSpec(
            id="reminder_sweep",
            func="tracker.jobs:reminder_sweep",
            name="Påminnelser",
            trigger=CronTrigger(
                day_of_week=settings.reminder_days,
                hour=settings.reminder_hour,
                minute=settings.reminder_minute,
                timezone=tz,
            ),
            # A scheduler back by the afternoon still sends the morning's reminders.
            misfire_grace_time=12 * 3600,
        ),
        JobSpec(
            id="report_sweep",
            func="tracker.jobs:report_sweep",
            name="Återrapporter",
            # Drafts are due by the day; approved reports go out within the hour.
            trigger=CronTrigger(minute=15, timezone=tz),
            misfire_grace_time=3600,
        ),
        JobSpec(
            id="outbox_dispatch",
            func="tracker.jobs:outbox_dispatch",
            name="Utkorgen",
            trigger=IntervalTrigger(seconds=settings.outbox_interval_seconds, timezone=tz),
            misfire_grace_time=5 * 60,
        ),
    ]


def _trigger_key(trigger: BaseTrigger) -> tuple[str, str]:
    return (str(trigger), str(getattr(trigger, "timezone", "")))


def ensure_jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """Add missing jobs; change a stored job only if its configuration changed.

    Returns what was done, for the log.
    """
    done = []
    for spec in job_specs(settings):
        job: Job | None = scheduler.get_job(spec.id)
        if job is None:
            try:
                scheduler.add_job(
                    spec.func,
                    trigger=spec.trigger,
                    id=spec.id,
                    name=spec.name,
                    misfire_grace_time=spec.misfire_grace_time,
                    coalesce=True,
                    max_instances=1,
                    replace_existing=False,
                )
            except ConflictingIdError:
                # Another scheduler on the same store added it between our look and our add.
                done.append(f"{spec.id}: lagt till av en annan process")
                continue
            done.append(f"{spec.id}: tillagt")
            continue
        if job.func_ref != spec.func or job.misfire_grace_time != spec.misfire_grace_time:
            scheduler.modify_job(
                spec.id, func=spec.func, misfire_grace_time=spec.misfire_grace_time
            )
            done.append(f"{spec.id}: ändrat")
        if _trigger_key(job.trigger) != _trigger_key(spec.trigger):
            # A new schedule: the next run is computed from it.
            scheduler.reschedule_job(spec.id, trigger=spec.trigger)
            done.append(f"{spec.id}: nytt schema {spec.trigger}")
    return done


class _NoRunAfterStop:
    """After shutdown() APScheduler's loop processes jobs once more, with its executors
    already shut: a job due right then has its next run moved on in the store but is never
    run (a lost run on a graceful stop). Processing nothing once stopped leaves that run in
    the store, to be caught up at the next start."""

    state: int

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()  # type: ignore[misc]


class TrackerBlockingScheduler(_NoRunAfterStop, BlockingScheduler):
    pass


class TrackerBackgroundScheduler(_NoRunAfterStop, BackgroundScheduler):
    pass


def build_scheduler(app: App, *, background: bool = False) -> BaseScheduler:
    jobs.bind(app)
    cls = TrackerBackgroundScheduler if background else TrackerBlockingScheduler
    scheduler: BaseScheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(engine=app.engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone=ZoneInfo(app.settings.timezone),
    )
    return scheduler


def start(scheduler: BaseScheduler, settings: Settings) -> None:
    """Start paused, add what is missing, resume: missed runs are caught up (once).

    BlockingScheduler.start() does not return, so the jobs are added from the
    'started' event, which comes after the job stores are open and before the loop runs.
    """
    failure: list[BaseException] = []

    def on_started(_: SchedulerEvent) -> None:
        try:
            for line in ensure_jobs(scheduler, settings):
                log.info("schemaläggaren: %s", line)
            scheduler.resume()
        except Exception as exc:  # APScheduler only logs a listener's error: keep it.
            failure.append(exc)
            if isinstance(scheduler, BlockingScheduler):
                scheduler.shutdown(wait=False)  # else start() would block, paused, forever

    scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)
    try:
        scheduler.start(paused=True)
    finally:
        scheduler.remove_listener(on_started)
    if failure:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        raise failure[0]


def start_background(app: App) -> BaseScheduler:
    """A scheduler in a thread, beside the web app (`make run`)."""
    scheduler = build_scheduler(app, background=True)
    start(scheduler, app.settings)
    return scheduler


def run_forever(app: App) -> None:
    """`tracker scheduler`: run in the foreground until SIGINT or SIGTERM."""
    scheduler = build_scheduler(app, background=False)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        log.info("schemaläggaren stoppas (signal %d)", signum)
        if not scheduler.running:
            raise SystemExit(0)  # not started yet: nothing to wait for
        # Not from the handler: the signal may come while the loop is starting due jobs, and
        # shutdown() from that same thread (the job store lock is re-entrant) shuts the
        # executor under it; those jobs' next runs are already moved on in the store, so
        # they are lost. From another thread, shutdown() waits for the loop to finish them.
        threading.Thread(
            target=scheduler.shutdown, kwargs={"wait": False}, name="schemaläggaren-stopp"
        ).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    start(scheduler, app.settings)
