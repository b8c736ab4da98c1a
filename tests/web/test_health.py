"""GET /halsa, as the kommun's monitoring calls it: 200 with the outbox's failed and overdue
mail while the database answers, 503 in Swedish when it does not; no log-in, no cookie."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from notifications import OutgoingMessage
from tests.web.helpers import MovableClock
from tracker.app import App
from tracker.db import make_engine
from tracker.models import OutboxMessage
from tracker.services.dispatch import FAILED
from tracker.services.outbox import enqueue
from tracker.web.main import AppShape, bind, build_app
from workflows.registry import default_registry


def queue(app: App, now: datetime, n: int) -> None:
    with app.transaction() as s:
        for i in range(n):
            message = OutgoingMessage(
                to=f"person{i}@pitea.example", subject="Ämne", text="Text", html=""
            )
            enqueue(s, message, kind="test", forvaltning="", now=now, domain="pitea.example")


def test_health_says_how_many_messages_failed_and_how_many_wait_too_long(
    client: TestClient, app: App, clock: MovableClock
) -> None:
    answer = client.get("/halsa")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "outbox": {"failed": 0, "overdue": 0}}
    assert "set-cookie" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"

    queue(app, clock(), 3)
    with app.transaction() as s:
        first = s.exec(select(OutboxMessage)).first()
        assert first is not None
        first.status = FAILED
        s.add(first)
    # Due now: not overdue yet. Nobody sends the outbox for an hour and a minute: overdue.
    assert client.get("/halsa").json()["outbox"] == {"failed": 1, "overdue": 0}
    clock.advance(minutes=61)
    assert client.get("/halsa").json()["outbox"] == {"failed": 1, "overdue": 2}


def test_health_is_503_in_swedish_when_the_database_does_not_answer(
    app: App, now: datetime, tmp_path: Path
) -> None:
    # A SQLite file in a folder that does not exist: every connection fails.
    url = f"sqlite:///{tmp_path / 'saknas' / 'tracker.db'}"
    gone = App(
        settings=app.settings.model_copy(update={"database_url": url}),
        engine=make_engine(url),
        registry=default_registry(),
    )
    built = build_app(AppShape.of(gone.settings))
    bind(built, gone, clock=MovableClock(now))
    with TestClient(built) as client:
        answer = client.get("/halsa")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "detail": "Databasen svarar inte."}
