"""`tracker scheduler` in a process of its own, its clock moved to a given instant.

    python -m tests.support.scheduler_worker --now 2018-05-23T05:20:00+00:00 --ready FILE

Settings come from TRACKER_* environment variables, as for the real command. The worker
imports everything first, creates FILE, and waits for a line on stdin: the test starts
several workers and lets them go at the same moment. Then the clock is moved to --now
(ticking on from there) and the real command runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import signal
import sys
from datetime import datetime
from pathlib import Path

import time_machine

from tracker.cli import main as tracker_main
from tracker.domain.workdays import swedish_holidays

# What the jobs import on first use (the report renderers take a while): loaded before the
# start, as in a scheduler that has been up a while, so that both processes reach the work
# at about the same moment.
FIRST_USE = (
    "tracker.scheduler",
    "tracker.reports.docx",
    "tracker.reports.html",
    "tracker.reports.mail",
    "tracker.reports.pdf",
)


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--ready", required=True, type=Path)
    args = parser.parse_args(argv)
    for name in FIRST_USE:
        importlib.import_module(name)
    # The sweep's first question, whether today is a working day, costs more on first use
    # than the rest of the sweep's reading: answered now, for the same reason.
    swedish_holidays(args.now.year)
    # The test asks a stuck worker for its threads' stacks before giving up on it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    args.ready.write_text("klar\n")
    if sys.stdin.readline() != "go\n":
        raise SystemExit("scheduler_worker: expected 'go' on stdin")
    # tick=True: APScheduler's loop waits in real time and reads the clock, so the fake
    # clock must move on with it.
    time_machine.travel(args.now, tick=True).start()
    sys.argv = ["tracker", "scheduler"]
    tracker_main()


if __name__ == "__main__":
    run(sys.argv[1:])
