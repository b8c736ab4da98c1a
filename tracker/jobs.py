"""Scheduled job entry points: an edge, so they read the clock, then call the services.

The job store refers to them textually ("tracker.jobs:reminder_sweep"); they find the App
the running scheduler bound here, never one built at import time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from tracker.app import App
from tracker.locks import job_lock
from tracker.reports.jobs import report_sweep as reports_sweep
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import send_reminders

log = logging.getLogger(__name__)

_bound: dict[str, App] = {}


def bind(app: App) -> None:
    _bound["app"] = app


def bound_app() -> App:
    try:
        return _bound["app"]
    except KeyError:
        raise RuntimeError(
            "tracker.jobs: no App bound; start jobs through tracker.scheduler"
        ) from None


def reminder_sweep() -> None:
    app = bound_app()
    with job_lock(app.engine, "reminder_sweep") as got:
        if not got:
            log.info("påminnelser: en annan process kör redan; hoppar över")
            return
        result = send_reminders(app, now=datetime.now(UTC))
    if not result.working_day:
        log.info("påminnelser: %s är inte en arbetsdag", result.today)
        return
    log.info(
        "påminnelser %s: %d e-postmeddelanden, %d påminnelser",
        result.today,
        len(result.digests),
        len(result.reminders),
    )
    if result.digests:
        # Send them now rather than at the dispatcher's next turn.
        outbox_dispatch()


def outbox_dispatch() -> None:
    # No lock: two dispatchers share the work safely through their claims.
    app = bound_app()
    result = send_outbox(app, now=datetime.now(UTC))
    if result.attempted:
        log.info(
            "utkorgen: %d skickade, %d försöks igen senare, %d misslyckades",
            result.sent,
            result.retry_later,
            result.failed,
        )


def report_sweep() -> None:
    """Draft återrapporter that are due (the chef is mailed to review) and send approved ones."""
    app = bound_app()
    with job_lock(app.engine, "report_sweep") as got:
        if not got:
            log.info("återrapporter: en annan process kör redan; hoppar över")
            return
        # Problems are logged by the sweep itself.
        result = reports_sweep(app, datetime.now(UTC))
    if result.drafted:
        outbox_dispatch()
