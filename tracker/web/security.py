"""CSRF tokens, derived keys, security headers and the log-in session's cookie.

Two kinds of CSRF token:
- session forms (chef pages, log-in, "ask for a new link"): a random token kept in the signed
  session cookie, echoed in a hidden field;
- owner forms: an HMAC of the link token, so an owner's page works without any cookie (mail
  apps open links in odd browsers) and a form for one link is useless with another.

The signed cookie names a log-in by a random token only; whether that log-in is still live is
the database's word (tracker.services.access.live_session), so a log-out ends it even in a
copy of the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request

SESSION_COOKIE = "tracker_session"
# A log-in lasts at most a working week by the app's clock (the cookie itself lasts as long),
# and ends sooner when idle (Settings.session_idle_minutes).
SESSION_MAX_AGE = timedelta(days=7)
# Where the cookie keeps the log-in's token.
_TOKEN_KEY = "sid"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# A document shown in the browser (the HTML återrapport, a follow-up) carries its own <style>,
# which CSP forbids: this policy allows inline style and nothing else, and sandboxes it.
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'none'; base-uri 'none'; sandbox"
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
# Only when the app is served over https: browsers then refuse plain http to the host (and its
# subdomains) for a year, so a log-in cookie or an owner's link is never sent in the clear.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_headers(public_base_url: str) -> tuple[tuple[str, str], ...]:
    """The headers for every response of an app served at `public_base_url`."""
    if public_base_url.startswith("https://"):
        return (*SECURITY_HEADERS, HSTS)
    return SECURITY_HEADERS


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


def owner_csrf(key: bytes, link_token: str) -> str:
    return hmac.digest(key, link_token.encode(), "sha256").hex()


def owner_csrf_ok(key: bytes, link_token: str, submitted: str) -> bool:
    return hmac.compare_digest(owner_csrf(key, link_token).encode(), submitted.encode())


def start_session(request: Request, token: str) -> None:
    """Log in: a fresh cookie (new CSRF token) naming the new log-in, so nothing from before
    carries over."""
    request.session.clear()
    request.session.update({_TOKEN_KEY: token, "csrf": secrets.token_urlsafe(32)})


def session_token(request: Request) -> str | None:
    """The log-in token the cookie holds, if any (live or not: the database decides)."""
    token = request.session.get(_TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def forget_session(request: Request) -> None:
    """The cookie no longer names a log-in (its CSRF token and messages stay)."""
    request.session.pop(_TOKEN_KEY, None)


def safe_next(value: object, default: str = "/planer") -> str:
    """A local path to return to after log-in; anything else (another site) is replaced.
    No control character at all: a browser drops tabs and line breaks from an address before
    reading it, so "/<tab>/x" in a link leads to the site //x; a backslash it reads as "/"."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(c == "\\" or c < " " or c == "\x7f" for c in value)
    ):
        return value
    return default
