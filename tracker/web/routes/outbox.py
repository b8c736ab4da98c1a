"""Utkorgen for the chef and admin: what waits to be sent, what failed (and why), what went
out lately; and putting failed messages back in the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tracker.domain.roles import forvaltning_scope
from tracker.models import OutboxMessage
from tracker.services import dispatch
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    WebDep,
    flash,
    pop_flash,
)
from tracker.web.routes import PathId

router = APIRouter()

# What caused a message (OutboxMessage.kind), as the page says it.
KIND_LABELS = {
    "påminnelse": "Påminnelse",
    "eskalering": "Påminnelse till chef",
    "dagssammanfattning": "Dagssammanfattning",
    "tilldelning": "Ny ansvarig",
    "lank": "Länk till åtgärder",
    "inloggning": "Inloggningslänk",
    "aterrapport": "Återrapport till nämnden",
    "aterrapport-utkast": "Utkast att granska",
    "granskning": "Uppföljning av granskning till revisorerna",
}
# ?visa=...: the views of the page; the first is the default.
VIEWS = {
    "ej-skickade": "Ej skickade",
    "misslyckade": "Misslyckade",
    "skickade": "Senast skickade",
    "aterkallade": "Återkallade",
}
SENT_SHOWN = 200


def _view(visa: str) -> str:
    return visa if visa in VIEWS else next(iter(VIEWS))


def _back(view: str) -> str:
    return "/utkorg" if view == next(iter(VIEWS)) else f"/utkorg?visa={view}"


@router.get("/utkorg", response_class=HTMLResponse)
def outbox_page(
    request: Request, web: WebDep, session: SessionDep, user: EditorDep, visa: str = ""
) -> HTMLResponse:
    view = _view(visa)
    whose = forvaltning_scope(user)
    if view == "skickade":
        messages = dispatch.list_messages(session, sent=True, forvaltning=whose, limit=SENT_SHOWN)
    elif view == "aterkallade":
        messages = dispatch.list_messages(
            session, withdrawn=True, forvaltning=whose, limit=SENT_SHOWN
        )
    else:
        messages = dispatch.list_messages(
            session, failed_only=view == "misslyckade", forvaltning=whose
        )
    counts = dispatch.counts(session, forvaltning=whose)
    return web.render(
        request,
        "outbox/list.html",
        {
            "messages": messages,
            "counts": [(s, label, counts.get(s, 0)) for s, label in dispatch.STATUS_LABELS.items()],
            "failed": counts.get(dispatch.FAILED, 0),
            "status_labels": dispatch.STATUS_LABELS,
            "kind_labels": KIND_LABELS,
            "views": VIEWS,
            "view": view,
            "back": _back(view),
            "sent_shown": SENT_SHOWN,
            "flash": pop_flash(request),
        },
    )


@router.post("/utkorg/forsok-igen", dependencies=[CsrfChecked])
def outbox_retry_all(
    request: Request,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    visa: Annotated[str, Form()] = "",
) -> RedirectResponse:
    n = dispatch.retry(session, None, now=now, forvaltning=forvaltning_scope(user))
    if n == 0:
        flash(request, "Det fanns inga misslyckade meddelanden att försöka skicka igen.")
    elif n == 1:
        flash(request, "Det misslyckade meddelandet skickas igen vid nästa utskick.")
    else:
        flash(request, f"De {n} misslyckade meddelandena skickas igen vid nästa utskick.")
    return RedirectResponse(_back(_view(visa)), status_code=303)


@router.post("/utkorg/{message_id}/forsok-igen", dependencies=[CsrfChecked])
def outbox_retry(
    request: Request,
    message_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    visa: Annotated[str, Form()] = "",
) -> RedirectResponse:
    # A sent, sending or unknown message is refused (a Swedish error page; nothing changes).
    dispatch.retry(session, message_id, now=now, forvaltning=forvaltning_scope(user))
    message = session.get(OutboxMessage, message_id)
    to = f" till {message.to_addr}" if message is not None else ""
    flash(request, f"Meddelande {message_id}{to} skickas igen vid nästa utskick.")
    return RedirectResponse(_back(_view(visa)), status_code=303)
