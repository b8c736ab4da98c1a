"""Every form a page posts: the limits on what is accepted, and reading values a person typed
(Swedish messages for what cannot be used).

Two checks hold for every form of the app, whatever its route: a body larger than FORM_LIMIT
(UPLOAD_LIMIT for a file upload) is refused before it is read (FormLimits), and a form with
a NUL character in any of its fields is refused whole (refuse_nul, a dependency of the whole
app): no database stores it in text (PostgreSQL refuses it, SQLite keeps it), and nobody
types it.
"""

from __future__ import annotations

from datetime import date

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.errors import Refused

# The page for a form that is missing a field or has one in the wrong format.
INCOMPLETE_TITLE = "Formuläret är inte komplett"
INCOMPLETE_MESSAGE = "Formuläret saknar en uppgift eller har fel format. Ingenting ändrades."
TOO_LARGE = "Formuläret eller filen är för stor. Ingenting ändrades."

# The longest text a form takes (a processläge, an åtgärd's text), and the largest version.
TEXT_LIMIT = 20_000
VERSION_LIMIT = 2**31
# The largest body: a file upload (a plan of some thousand rows is well under 1 MB), and
# any other form (the longest text, each character up to 9 bytes percent-encoded).
UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024
FORM_LIMIT = 9 * TEXT_LIMIT + 64 * 1024


class FormRefused(Exception):
    """A form with a NUL character: nothing of it is used."""


class FormLimits:
    """Refuses a request body larger than its limit, by its Content-Length when it gives one
    and as it arrives when it does not, with a 413 that the app's error pages answer.
    (FastAPI's own max_body_size answers in plain English text.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = UPLOAD_LIMIT if multipart else FORM_LIMIT
        declared = headers.get(b"content-length", b"")
        size = int(declared) if declared.isdigit() else 0

        async def limited() -> Message:
            # Raised while the route reads its body: FastAPI passes an HTTPException on.
            nonlocal size
            if size > limit:
                raise HTTPException(status_code=413, detail=TOO_LARGE)
            message = await receive()
            if not declared.isdigit():
                size += len(message.get("body", b""))
                if size > limit:
                    raise HTTPException(status_code=413, detail=TOO_LARGE)
            return message

        await self.app(scope, limited, send)


async def refuse_nul(request: Request) -> None:
    """A dependency of every route: a posted form with a NUL character anywhere is refused.
    (FastAPI has parsed the body by now; request.form() hands back that parse.)"""
    if request.method in ("GET", "HEAD"):
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    form = await request.form()
    if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        raise FormRefused("NUL")
    if any("\x00" in name for name in form):
        raise FormRefused("NUL")


def parse_date(value: str, label: str) -> date | None:
    """An optional ÅÅÅÅ-MM-DD date (what <input type="date"> sends)."""
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{label}: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2018-03-31.") from None


def required(value: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise Refused(f"{label} måste fyllas i.")
    return text


def optional_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
