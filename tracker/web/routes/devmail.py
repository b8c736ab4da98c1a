"""/dev/mail: what the built-in SMTP receiver got (demo and development only)."""

from __future__ import annotations

import html
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from tracker.devmail import list_messages, read_message
from tracker.errors import NotFound
from tracker.web.deps import WebDep

router = APIRouter()

URL_RE = re.compile(r"https?://[^\s<>\"']+")

# The HTML part is shown in a sandboxed frame: no scripts, but its links open (new tab).
MESSAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'none'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def linkify(text: str) -> Markup:
    """Plain text, escaped, with its URLs as links."""
    out: list[str] = []
    pos = 0
    for m in URL_RE.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        url = html.escape(m.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return Markup("".join(out))


@router.get("/dev/mail", response_class=HTMLResponse)
def mail_list(request: Request, web: WebDep) -> HTMLResponse:
    folder = web.app.settings.dev_mail_dir
    return web.render(
        request, "devmail/list.html", {"messages": list_messages(folder), "folder": folder}
    )


@router.get("/dev/mail/{name}", response_class=HTMLResponse)
def mail_show(request: Request, name: str, web: WebDep) -> HTMLResponse:
    message = read_message(web.app.settings.dev_mail_dir, name)
    if message is None:
        raise NotFound("Det finns inget sådant brev.")
    return web.render(
        request,
        "devmail/show.html",
        {"message": message, "text_html": linkify(message.text)},
        headers={"Content-Security-Policy": MESSAGE_CSP},
    )
