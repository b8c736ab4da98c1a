"""Settings read from a TOML file and environment variables (TRACKER_*), environment winning.

Nothing is read at import time: callers build a Settings with `load_settings()` once, at the
edge (CLI command, web app factory, test fixture), and pass it down.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "byt-mig-utvecklingsnyckel"
# Shorter keys can be guessed; the key signs every link in the e-mails and every log-in.
SECRET_MIN_LENGTH = 32
# What to do about a weak key, said the same wherever one is refused or reported.
SECRET_ADVICE = (
    f"sätt TRACKER_SECRET_KEY till minst {SECRET_MIN_LENGTH} slumpade tecken, till exempel det "
    'som python3 -c "import secrets; print(secrets.token_urlsafe(48))" skriver ut'
)
CONFIG_FILE_ENV = "TRACKER_CONFIG"
# Not a setting: `tracker serve --workers N` tells its worker processes the address it listens
# on, which the app built in each worker cannot see (tracker.web.asgi).
SERVE_HOST_ENV = "TRACKER_SERVE_HOST"


def weak_secret(key: str) -> str | None:
    """Why others could sign links and log-ins with this key, as a Swedish noun phrase: it is
    the default, printed in the source, or short enough to guess. None for a usable key."""
    if key == DEFAULT_SECRET:
        return "standardnyckeln"
    if len(key) < SECRET_MIN_LENGTH:
        return f"en hemlig nyckel på bara {len(key)} tecken"
    return None


def _is_loopback(host: str) -> bool:
    """Whether only this machine reaches the address. A name other than localhost could
    resolve anywhere, so it counts as reachable."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def reachable_by_others(host: str | None, public_base_url: str) -> str | None:
    """Why others can reach the web app, in Swedish; None when only this machine can. The
    public address counts as well as the bound one: behind a proxy on this machine the app
    binds to loopback, and the whole network reaches it through the proxy. `host` None is a
    server that binds an address the app cannot see (gunicorn), which counts as reachable."""
    if host is not None and not _is_loopback(host):
        return f"den lyssnar på {host or 'alla adresser'}"
    if not _is_loopback(urlsplit(public_base_url).hostname or ""):
        return f"den publika adressen är {public_base_url}"
    if host is None:
        return "adressen den lyssnar på bestäms av servern som startar den, till exempel gunicorn"
    return None


def known_secret_refusal(secret_key: str, public_base_url: str, host: str | None) -> str | None:
    """Why the web app must not start, in Swedish, or None. Anyone who knows the key can forge
    owner links and log-in cookies: with the default, printed in the source, or a short one,
    the app may serve this machine only. The one rule for every way the app is started
    (`tracker serve`, its workers, gunicorn). The environment is not asked, since a forgotten
    TRACKER_ENVIRONMENT is the case this catches."""
    weak = weak_secret(secret_key)
    reason = reachable_by_others(host, public_base_url) if weak else None
    if not (weak and reason):
        return None
    return f"Webbappen startar inte med {weak} när andra kan nå den ({reason}): {SECRET_ADVICE}."


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="forbid")

    environment: Literal["development", "demo", "test", "production"] = "development"
    database_url: str = "sqlite:///var/tracker.db"
    secret_key: str = DEFAULT_SECRET
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Stockholm"
    # How long a change waits for a row (PostgreSQL) or the file (SQLite) that another
    # transaction holds, for example during a re-import, before it gives up: the web then
    # says "försök igen om en stund" and nothing is changed.
    database_lock_timeout_seconds: float = Field(default=15.0, gt=0, le=600)

    # Links in e-mails: valid this many days unless revoked.
    link_max_age_days: int = Field(default=30, ge=1, le=365)
    # An assignment's e-mail waits this long for more assignments to the same owner, so that
    # a chef handing out several åtgärder sends one mail, not one per åtgärd.
    assignment_mail_minutes: int = Field(default=5, ge=0, le=60)
    # A log-in link (chef, admin, board reader) is valid this long, and works once.
    login_link_max_age_minutes: int = Field(default=60, ge=1, le=1440)
    # At most this many link e-mails (log-in or new owner link) to one address per hour,
    # whoever asks: the form is open to anyone, and must not become a way to flood an inbox.
    link_requests_per_hour: int = Field(default=5, ge=1)
    # A log-in (chef, admin, board reader) ends after this many minutes without a request,
    # and after a week whatever happens.
    session_idle_minutes: int = Field(default=480, ge=1)

    # SMTP: a local relay needs no login and no TLS.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Outbox delivery: how often the dispatcher runs, how long a claimed message may stay
    # in 'sending' before another dispatcher takes it over, and the longest wait between
    # retries after a temporary failure (so an hour's outage delays mail by about an hour).
    outbox_interval_seconds: int = Field(default=60, ge=1)
    outbox_lease_seconds: int = Field(default=600, ge=1)
    outbox_retry_max_seconds: int = Field(default=300, ge=1)
    mail_from: str = "atgardsplan@kommun.example"
    # Demo/development only: run a built-in SMTP receiver and list its mail at /dev/mail.
    dev_mail_receiver: bool = False
    # Where that receiver stores each message as an .eml file.
    dev_mail_dir: str = "var/devmail"

    # Scheduler
    reminder_hour: int = Field(default=7, ge=0, le=23)
    reminder_minute: int = Field(default=0, ge=0, le=59)
    # Days the reminder sweep runs (cron day_of_week, Europe/Stockholm); holidays and
    # midsommar-, jul- and nyårsafton are skipped by the sweep itself.
    reminder_days: str = "mon-fri"
    report_draft_days_before: int = Field(default=14, ge=0, le=365)

    # The chef's start page: an owner who has written no processläge and made no change of
    # state on an open åtgärd for this many days "har inte svarat"; evaluations due within
    # this many days are listed as coming up.
    unanswered_days: int = Field(default=30, ge=1, le=3650)
    upcoming_evaluation_days: int = Field(default=30, ge=1, le=3650)

    workflow_dirs: list[str] = Field(default_factory=list)
    # The kommun's risk scale for internkontroll, as a table ([tracker.risk]: levels, labels
    # of each axis, colour bands); empty is SKR's 4 × 4. Checked when the product starts.
    risk: dict[str, Any] = Field(default_factory=dict)

    # Single sign-on with OpenID Connect (Microsoft Entra ID or another provider): on when
    # oidc_issuer is set. The person is found by the e-mail claim (then preferred_username and
    # upn, when the provider sends no such claim). With oidc_role_groups set the role comes
    # from the group claim, {"<grupp-id>" = "chef", ...}: a person in none of the groups may
    # not log in, and a stored role that differs is changed to the mapped one at log-in.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_email_claim: str = "email"
    oidc_group_claim: str = "groups"
    oidc_role_groups: dict[str, Literal["admin", "chef", "board"]] = Field(default_factory=dict)
    oidc_button_label: str = Field(default="Logga in med kommunens konto", min_length=1)
    # False: the e-mailed log-in link is switched off and only single sign-on logs in.
    login_link_enabled: bool = True

    @model_validator(mode="after")
    def _refuse_incomplete_sso(self) -> Settings:
        problems = []
        if self.oidc_issuer and not self.oidc_client_id:
            problems.append("oidc_client_id saknas (krävs när oidc_issuer är satt)")
        if not self.login_link_enabled and not self.oidc_issuer:
            problems.append(
                "login_link_enabled = false kräver oidc_issuer, annars kan ingen logga in"
            )
        if self.environment == "production" and self.oidc_issuer.startswith("http://"):
            problems.append("oidc_issuer måste börja med https:// i produktion")
        if problems:
            raise ValueError("Inloggningen är felinställd: " + "; ".join(problems))
        return self

    # The tillgänglighetsredogörelse (/tillganglighet): how to report a problem with the
    # service's accessibility, as the kommun wants it said (a contact page, an address, a
    # phone number), and the day the kommun last reviewed the statement (ÅÅÅÅ-MM-DD; empty:
    # the day the product's own statement was last reviewed).
    accessibility_contact: str = Field(
        default=(
            "Kontakta kommunens kontaktcenter via kommunens webbplats, e-post eller telefon "
            "och ange att det gäller tjänsten Åtgärdsplaner."
        ),
        min_length=1,
        max_length=2000,
    )
    accessibility_reviewed_on: date | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            problems = []
            if weak := weak_secret(self.secret_key):
                problems.append(f"TRACKER_SECRET_KEY är {weak} ({SECRET_ADVICE})")
            if self.dev_mail_receiver:
                problems.append("den inbyggda utvecklingsmottagaren för e-post är påslagen")
            if problems:
                raise ValueError("Produktionsläge vägrar starta: " + "; ".join(problems))
        return self


# TRACKER_* variables that are not settings: read by the tests and benchmarks, not the product.
_NOT_SETTINGS_PREFIXES = ("TRACKER_TEST_", "TRACKER_BENCH_")


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Each TRACKER_* variable in `environ` that nothing reads, in Swedish, with the setting it
    most likely meant: a misspelt variable is otherwise ignored in silence (a misspelt key in
    the file stops the command)."""
    settings = {f"TRACKER_{name.upper()}" for name in Settings.model_fields}
    known = settings | {CONFIG_FILE_ENV, SERVE_HOST_ENV}
    said = []
    for name in sorted(environ):
        if not name.startswith("TRACKER_") or name in known:
            continue
        if name.startswith(_NOT_SETTINGS_PREFIXES):
            continue
        close = difflib.get_close_matches(name, sorted(settings), n=1)
        meant = f" (menade du {close[0]}?)" if close else ""
        said.append(f"{name} är ingen inställning och läses inte{meant}")
    return said


def _read_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    section = data.get("tracker", data)
    if not isinstance(section, dict):
        raise ValueError(f"{path}: [tracker] måste vara en tabell")
    return section


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings: file values, then TRACKER_* environment variables, then overrides."""
    path = config_file or os.environ.get(CONFIG_FILE_ENV)
    file_values: dict[str, Any] = _read_file(Path(path)) if path else {}
    env_names = {f"TRACKER_{name.upper()}" for name in Settings.model_fields}
    # Environment beats the file: drop file keys the environment sets.
    for key in list(file_values):
        if f"TRACKER_{key.upper()}" in env_names and f"TRACKER_{key.upper()}" in os.environ:
            del file_values[key]
    return Settings(**{**file_values, **overrides})


class SettingsError(ValueError):
    """Settings that cannot be used, said in Swedish for the person running the service."""


# What pydantic's error types mean, for the operator; the value follows in quotes.
_VALUE_PROBLEMS = {
    "int_parsing": "är inget heltal",
    "int_from_float": "är inget heltal",
    "float_parsing": "är inget tal",
    "bool_parsing": "är varken true eller false",
    "date_from_datetime_parsing": "är inget datum (ÅÅÅÅ-MM-DD)",
    "date_parsing": "är inget datum (ÅÅÅÅ-MM-DD)",
    "dict_type": "är ingen tabell",
    "list_type": "är ingen lista",
    "string_type": "är ingen text",
}
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """`smtp_port (TRACKER_SMTP_PORT)`: the key in the file and the variable that sets it."""
    if not loc:
        return ""
    key = str(loc[0])
    if key not in Settings.model_fields:
        return ".".join(str(part) for part in loc)
    variable = f"TRACKER_{key.upper()}"
    return f"{key} ({variable})" if len(loc) == 1 else f"{key} ({variable}), {loc[1:]}"


def _problem(error: Any) -> str:
    """One pydantic error as a Swedish phrase about the setting it concerns."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "okänd inställning"
    if kind in _VALUE_PROBLEMS:
        return f"{value!r} {_VALUE_PROBLEMS[kind]}"
    if kind == "literal_error":
        allowed = str(ctx.get("expected", "")).replace(" or ", " eller ")
        return f"{value!r} är inget av {allowed}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value!r} är för litet (minst {ctx.get('ge', ctx.get('gt'))})"
    if kind in ("less_than_equal", "less_than"):
        return f"{value!r} är för stort (högst {ctx.get('le', ctx.get('lt'))})"
    if kind == "string_too_short":
        return "får inte vara tomt"
    if kind == "string_too_long":
        return f"är för långt (högst {ctx.get('max_length')} tecken)"
    return f"ogiltigt värde {value!r}"


def explain(exc: ValidationError) -> str:
    """Every problem in `exc`, each with the setting it concerns, in Swedish."""
    parts = []
    for error in exc.errors():
        name = _setting_name(tuple(error["loc"]))
        parts.append(f"{name}: {_problem(error)}" if name else _problem(error))
    return "; ".join(parts)


def read_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """load_settings, with what stops it said in Swedish (SettingsError): a settings file that
    is missing, unreadable or not TOML, and every value that cannot be used."""
    path = config_file or os.environ.get(CONFIG_FILE_ENV)
    try:
        return load_settings(config_file, **overrides)
    except FileNotFoundError:
        raise SettingsError(f"Inställningsfilen {path} finns inte.") from None
    except PermissionError:
        raise SettingsError(
            f"Inställningsfilen {path} går inte att läsa: användaren saknar behörighet."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        if found := _TOML_POSITION.search(reason):
            where = f" (rad {found[1]}, kolumn {found[2]})"
            reason = reason[: found.start()]
        else:
            where = ""
        raise SettingsError(
            f"Inställningsfilen {path} är inte giltig TOML{where}: {reason}"
        ) from None
    except ValidationError as exc:
        raise SettingsError(f"Inställningarna går inte att använda: {explain(exc)}") from None
    except ValueError as exc:  # _read_file's own checks, already in Swedish
        raise SettingsError(f"Inställningarna går inte att använda: {exc}") from None
