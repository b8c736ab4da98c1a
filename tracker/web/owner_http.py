"""The owner pages' requests, taken before FastAPI's routing: GET (and HEAD) /ansvarig/{token}
and POST /ansvarig/{token}/atgard/{id}. What the pages do is in routes/owner.py.

Every reminder carries a link to these pages, so they get the bursts: a mailing goes out and
many owners open it at once. The target (issue #3, bench/web.py) is 200 owners posting an
update and reloading their page at the same instant with p95 under 100 ms on 2 cores: 400
requests in 100 ms is at most ~0.5 ms of CPU each, client and database included. Through
FastAPI (routing, dependency injection, python-multipart, TemplateResponse) the web part alone
took ~0.8 ms per request. Here the path is matched by hand, the form (one small urlencoded body)
is parsed by the standard library and the page goes out as one body; the requests that arrive
together go to the database together (tracker.web.owner_batch).

It is called before FastAPI's own middleware (tracker.web.main), so it sets the same security
headers itself, and the one page with a session form (a bad link's "send me a new link")
goes through a SessionMiddleware of its own, with the app's session options.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tracker.web.deps import Web
from tracker.web.forms import INCOMPLETE_MESSAGE, INCOMPLETE_TITLE
from tracker.web.links import OWNER_PREFIX
from tracker.web.owner_batch import OwnerBatches
from tracker.web.routes.owner import Page, Posted
from tracker.web.security import HTML_CACHE_CONTROL, SECURITY_HEADERS, session_csrf

_PREFIX = OWNER_PREFIX + "/"
# The largest update form: 20,000 characters of text, each up to 9 bytes percent-encoded.
TEXT_LIMIT = 20_000
BODY_LIMIT = 200_000
_FORM_TYPE = b"application/x-www-form-urlencoded"
_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS),
    (HTML_CACHE_CONTROL[0].lower().encode(), HTML_CACHE_CONTROL[1].encode()),
]
_PAGE = "tracker.owner_page"  # the scope key a page is handed to the session's app under

INCOMPLETE = Page(
    "error.html",
    {"title": INCOMPLETE_TITLE, "message": INCOMPLETE_MESSAGE},
    status_code=400,
)


class ClientGone(Exception):
    """The browser closed the connection before sending the whole form."""


class OwnerPages:
    """Answers the owner pages' two routes; everything else goes on to `app`."""

    def __init__(self, app: ASGIApp, web: Web, session: dict[str, Any]) -> None:
        self.app = app
        self.web = web
        self.batches = OwnerBatches(web)
        self.with_session = SessionMiddleware(self._session_page, **session)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        parts = path[len(_PREFIX) :].split("/")
        token = parts[0]
        if method in ("GET", "HEAD") and len(parts) == 1 and token:
            page = await self.batches.show(token)
            await self._answer(scope, receive, send, page)
        elif method == "POST" and len(parts) == 3 and token and parts[1] == "atgard":
            action_id = _number(parts[2])
            if action_id is None:
                await self.app(scope, receive, send)  # not a page here: the app's 404
                return
            try:
                posted = await _posted(scope, receive, token, action_id)
            except ClientGone:
                return
            if posted is None:
                await self._answer(scope, receive, send, INCOMPLETE)
                return
            page = await self.batches.update(posted)
            # Rendered after the commit: a receipt is only ever shown for a change that
            # committed, and a write lock (SQLite's is on the whole file) is not held meanwhile.
            await self._answer(scope, receive, send, page)
        else:
            await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, page: Page) -> None:
        if page.session_form:
            await self.with_session({**scope, _PAGE: page}, receive, send)
        else:
            await _send(scope, send, page.status_code, page.html(self.web, _no_session))

    async def _session_page(self, scope: Scope, _receive: Receive, send: Send) -> None:
        page: Page = scope[_PAGE]
        html = page.html(self.web, lambda: session_csrf(Request(scope)))
        await _send(scope, send, page.status_code, html)


def _no_session() -> str:
    raise RuntimeError("an owner page without session_form asked for the session's CSRF token")


async def _send(scope: Scope, send: Send, status: int, html: str) -> None:
    body = html.encode()
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _number(segment: str) -> int | None:
    # At most 9 digits: within every database's integer column, and int() stays cheap.
    if 0 < len(segment) <= 9 and segment.isascii() and segment.isdigit():
        return int(segment)
    return None


async def _posted(scope: Scope, receive: Receive, token: str, action_id: int) -> Posted | None:
    """The update form, or None when it is not one (wrong type, too large, a field missing or
    malformed): the form is then refused whole."""
    body = await _body(receive)
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    if body is None or content_type.split(b";")[0].strip().lower() != _FORM_TYPE:
        return None
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=10,
        )
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for name, value in pairs:
        if "\x00" in value:
            # No database stores it in text, and the form is written in a batch with others'.
            return None
        form.setdefault(name, value)
    version = form.get("version", "").strip()
    text = form.get("text", "")
    if not (version.isascii() and version.isdigit() and len(version) <= 9):
        return None
    if len(text) > TEXT_LIMIT:
        return None
    return Posted(
        token, action_id, int(version), form.get("csrf", ""), form.get("trigger", ""), text
    )


async def _body(receive: Receive) -> bytes | None:
    """The request body, or None when it is larger than BODY_LIMIT (the rest is not kept)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size <= BODY_LIMIT:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if size <= BODY_LIMIT else None
