"""An app built once and bound to another App (as tests/web/conftest.py does for each test)
serves that App's database and clock only: nothing of the App bound before is kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.schema import create_schema
from tests.web.conftest import World
from tests.web.helpers import MovableClock, owner_path, text_of
from tracker.app import App
from tracker.db import make_engine
from tracker.web.main import AppShape, bind, build_app
from workflows.registry import default_registry


def test_an_app_bound_to_another_app_serves_its_database_and_its_clock(
    app: App, world: World, now: datetime, tmp_path: Path
) -> None:
    web = build_app(AppShape.of(app.settings))
    path = owner_path(app, world.anna, now)
    bind(web, app, clock=MovableClock(now))
    with TestClient(web) as client:
        assert "Anna Berg" in text_of(client.get(path).text)

    # The same secret, another database with nobody in it: the link names no one there.
    url = f"sqlite:///{tmp_path / 'annan.db'}"
    engine = make_engine(url)
    create_schema(engine)
    other = App(
        settings=app.settings.model_copy(update={"database_url": url}),
        engine=engine,
        registry=default_registry(),
    )
    bind(web, other, clock=MovableClock(now))
    with TestClient(web) as client:
        page = client.get(path)
        assert page.status_code != 200
        assert "Anna Berg" not in text_of(page.text)

    # Bound again to the first App with a clock a year on: the link has expired by then.
    bind(web, app, clock=MovableClock(now + timedelta(days=365)))
    with TestClient(web) as client:
        page = client.get(path)
        assert "Anna Berg" not in text_of(page.text)
    engine.dispose()
