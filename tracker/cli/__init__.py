"""The `tracker` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

from tracker.cli import (
    absences,
    actions,
    api_tokens,
    audits,
    check,
    db,
    demo,
    escalations,
    internal_control,
    meetings,
    outbox,
    people,
    plan_io,
    plans,
    privacy,
    protokoll,
    reminders,
    reports,
    serve,
)
from tracker.cli.base import cli, run

# Importing a module registers its commands on `cli` or on a group.
__all__ = [
    "absences",
    "actions",
    "api_tokens",
    "audits",
    "check",
    "cli",
    "db",
    "demo",
    "escalations",
    "internal_control",
    "main",
    "meetings",
    "outbox",
    "people",
    "plan_io",
    "plans",
    "privacy",
    "protokoll",
    "reminders",
    "reports",
    "serve",
]


def main() -> None:
    run()
