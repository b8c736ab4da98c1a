"""`tracker check`: is this installation ready to run? Each check says what is wrong."""

from __future__ import annotations

import os
import smtplib
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy.exc import SQLAlchemyError

from config import SECRET_ADVICE, Settings, unknown_variables, weak_secret
from notifications.probe import probe_smtp, smtp_problem
from tracker.app import App
from tracker.db import missing_sqlite_file
from tracker.domain.report import PlanSnap, Snapshot, compose
from tracker.migrate import newer_schema_refusal, revisions
from tracker.reports.pdf import render_pdf
from tracker.reports.typst_compile import RenderError


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database(app: App) -> CheckResult:
    where = app.engine.url.render_as_string(hide_password=True)
    default = app.settings.database_url == Settings.model_fields["database_url"].default
    missing = missing_sqlite_file(app.settings.database_url)
    if default and (missing is not None or _schema_of(app) is None):
        # Not an installation without a schema but a command run without the service's
        # environment: 'tracker db upgrade' here would make a second, empty database.
        return CheckResult(
            "Databas",
            False,
            f"{where} är standarddatabasen i katalogen du står i: varken en inställningsfil "
            "eller TRACKER_DATABASE_URL lästes. Kör kommandot som tjänsten, med dess miljö "
            "(tracker-admin i docs/deploy.md)",
        )
    if missing is not None:
        # Not connected to: that would make the file, a new and empty database.
        return CheckResult(
            "Databas",
            False,
            f"databasfilen {missing} finns inte: ange tjänstens databas med "
            "TRACKER_DATABASE_URL, eller skapa en ny med 'tracker init'",
        )
    try:
        current, head = revisions(app.engine)
    except SQLAlchemyError as exc:
        # The driver's own sentence (in English) says which part is wrong: host, database,
        # user or password.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return CheckResult(
            "Databas",
            False,
            f"kan inte ansluta till {where} ({reason}): kontrollera TRACKER_DATABASE_URL "
            "(värd, port, databas, användare och lösenord) och att databasservern är igång",
        )
    if refusal := newer_schema_refusal(current, subject="schemat"):
        return CheckResult("Databas", False, f"{where}: {refusal}")
    if current != head:
        return CheckResult(
            "Databas",
            False,
            f"{where}: schemat är {current or 'tomt'}, senaste är {head}; kör 'tracker db upgrade'",
        )
    return CheckResult("Databas", True, f"{where}, schema {head}")


def _schema_of(app: App) -> str | None:
    """The default SQLite file's schema revision (it is a file, so it can be read)."""
    try:
        return revisions(app.engine)[0]
    except SQLAlchemyError:
        return None


def check_smtp(app: App) -> CheckResult:
    s = app.settings
    where = f"{s.smtp_host}:{s.smtp_port} ({s.smtp_security})"
    try:
        banner = probe_smtp(s)
    except (OSError, smtplib.SMTPException) as exc:
        return CheckResult("E-post (SMTP)", False, f"{where}: {smtp_problem(s, exc)}")
    return CheckResult("E-post (SMTP)", True, f"{where}: {banner}")


def check_base_url(app: App) -> CheckResult:
    url = urlparse(app.settings.public_base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        return CheckResult(
            "Publik adress", False, f"'{app.settings.public_base_url}' är ingen http(s)-adress"
        )
    if app.settings.environment == "production" and url.scheme != "https":
        return CheckResult(
            "Publik adress", False, "produktion kräver https: länkarna i e-posten bär inloggning"
        )
    return CheckResult("Publik adress", True, app.settings.public_base_url)


def check_secret(app: App) -> CheckResult:
    key = app.settings.secret_key
    if weak := weak_secret(key):
        # Failed whatever the addresses: a web server that is still localhost-only today is
        # put behind a proxy tomorrow, and check is run before either.
        said = f"{weak} används, och tracker serve startar inte med den när andra kan nå webben"
        return CheckResult("Hemlig nyckel", False, f"{said}; {SECRET_ADVICE}")
    return CheckResult("Hemlig nyckel", True, f"satt ({len(key)} tecken)")


def check_environment() -> CheckResult | None:
    """A misspelt TRACKER_* variable in the service's environment, which no command reads;
    None when there is none, so that a clean installation's report stays as it was."""
    if said := unknown_variables(os.environ):
        advice = "rätta namnet i tjänstens miljö (/etc/tracker/env) eller ta bort variabeln"
        return CheckResult("Miljö", False, f"{'; '.join(said)}: {advice}")
    return None


def check_documents(now: datetime) -> CheckResult:
    """Makes a one-page återrapport PDF, so a broken install shows now, not on report day."""
    snapshot = Snapshot(
        plan=PlanSnap(id=0, title="Kontroll"),
        as_of=now.date(),
        cutoff=now,
        built_at=now,
        period=now.date().replace(day=1),
        next_report_on=None,
        workflows={},
        areas=(),
    )
    started = time.perf_counter()
    try:
        data = render_pdf(compose(snapshot))
    except (RenderError, OSError, subprocess.SubprocessError) as exc:
        return CheckResult("Återrapport (PDF)", False, str(exc))
    took = time.perf_counter() - started
    size = f"{len(data) / 1024:.0f} kB på {took:.1f} s".replace(".", ",")
    return CheckResult("Återrapport (PDF)", True, f"en provsida, {size}")


def run_checks(app: App, now: datetime) -> list[CheckResult]:
    environment = check_environment()
    return [
        check_database(app),
        check_smtp(app),
        check_base_url(app),
        check_secret(app),
        *([environment] if environment else []),
        check_documents(now),
    ]
