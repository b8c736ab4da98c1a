"""GET /halsa: for the kommun's monitoring, without a log-in. It answers 200 while the web can
reach its database, with how the outbox fares (failed and overdue mail, which a monitor
should alert on too), and 503 when it cannot. It says nothing of any person or plan."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from tracker.logs import log_event
from tracker.services.dispatch import outbox_health
from tracker.web.deps import NowDep, WebDep

router = APIRouter()
log = logging.getLogger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/halsa")
def health(web: WebDep, now: NowDep) -> JSONResponse:
    try:
        with web.app.transaction() as session:
            mail = outbox_health(session, now=now)
    except SQLAlchemyError as exc:
        log_event(log, "health.database_unreachable", error=exc.__class__.__name__)
        return JSONResponse(
            {"status": "unavailable", "detail": "Databasen svarar inte."},
            status_code=503,
            headers=_NO_STORE,
        )
    return JSONResponse(
        {"status": "ok", "outbox": {"failed": mail.failed, "overdue": mail.overdue}},
        headers=_NO_STORE,
    )
