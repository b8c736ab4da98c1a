"""CSRF tokens, derived keys and the log-in session's contents.

Two kinds of CSRF token:
- session forms (chef pages, log-in, "ask for a new link"): a random token kept in the signed
  session cookie, echoed in a hidden field;
- owner forms: an HMAC of the link token, so an owner's page works without any cookie (mail
  apps open links in odd browsers) and a form for one link is useless with another.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request

SESSION_COOKIE = "tracker_session"
# A log-in lasts a working week by the app's clock (the cookie itself lasts as long).
SESSION_MAX_AGE = timedelta(days=7)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# Headers for every response (a route may set its own first: the dev mail viewer does), and
# for HTML pages no-store. no-referrer: owner pages carry their token in the URL, which must
# not leak to other sites.
SECURITY_HEADERS = (
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", CSP),
)
HTML_CACHE_CONTROL = ("Cache-Control", "no-store")


def session_options(secret: str, public_base_url: str) -> dict[str, Any]:
    """Starlette's SessionMiddleware options: the log-in session and session CSRF tokens."""
    return {
        "secret_key": derived_key(secret, "session").hex(),
        "session_cookie": SESSION_COOKIE,
        "max_age": int(SESSION_MAX_AGE.total_seconds()),
        "same_site": "lax",
        "https_only": public_base_url.startswith("https://"),
    }


def derived_key(secret: str, purpose: str) -> bytes:
    """One key per purpose from the one secret, so no signature is valid for two uses."""
    return hmac.new(secret.encode(), f"tracker.{purpose}".encode(), hashlib.sha256).digest()


def session_csrf(request: Request) -> str:
    """This browser's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def session_csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


@functools.lru_cache(maxsize=4096)
def owner_csrf(key: bytes, link_token: str) -> str:
    # Cached: every owner page makes it and every update checks it, for the same few links
    # (an HMAC through OpenSSL measured ~10 µs a call in a busy server, against ~2 in a loop).
    return hmac.digest(key, link_token.encode(), "sha256").hex()


def owner_csrf_ok(key: bytes, link_token: str, submitted: str) -> bool:
    return hmac.compare_digest(owner_csrf(key, link_token).encode(), submitted.encode())


def start_session(request: Request, person_id: int, now: datetime) -> None:
    """Log in: a fresh session (new CSRF token), so nothing from before carries over."""
    request.session.clear()
    request.session.update(
        {"uid": person_id, "at": now.timestamp(), "csrf": secrets.token_urlsafe(32)}
    )


def session_login(request: Request) -> tuple[int, datetime] | None:
    """Who is logged in and since when, as the cookie says; None if nobody."""
    data: dict[str, Any] = request.session
    uid, at = data.get("uid"), data.get("at")
    if not isinstance(uid, int) or not isinstance(at, int | float):
        return None
    return uid, datetime.fromtimestamp(at, UTC)


def safe_next(value: object, default: str = "/planer") -> str:
    """A local path to return to after log-in; anything else (another site) is replaced."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(c in value for c in "\\\r\n")
    ):
        return value
    return default
