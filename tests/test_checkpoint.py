"""tracker.checkpoint: the web process checkpoints SQLite's WAL from a thread, not a request."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from sqlmodel import SQLModel

from config import load_settings
from tracker.app import App
from tracker.checkpoint import checkpoint, checkpoints_in_background
from tracker.db import make_engine
from tracker.models import Person
from tracker.web.main import create_app
from workflows import default_registry

THREAD = "tracker-wal-checkpoint"


def _running() -> bool:
    return any(t.name == THREAD and t.is_alive() for t in threading.enumerate())


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    SQLModel.metadata.create_all(engine)
    return engine


def test_a_checkpoint_copies_the_whole_log_into_the_database(
    sqlite_file: Engine, now: datetime
) -> None:
    with sqlite_file.begin() as conn:
        conn.execute(
            insert(Person),
            [
                {"name": f"P{i}", "email": f"p{i}@pitea.example", "created_at": now}
                for i in range(500)
            ],
        )
    done = checkpoint(sqlite_file)
    assert done.busy == 0
    assert done.log_frames > 0
    assert done.checkpointed_frames == done.log_frames


def test_the_thread_runs_while_inside_and_is_gone_after(sqlite_file: Engine) -> None:
    assert not _running()
    with checkpoints_in_background(sqlite_file):
        assert _running()
    assert not _running()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_gets_no_thread(url: str) -> None:
    with checkpoints_in_background(make_engine(url)):
        assert not _running()


def test_the_web_app_checkpoints_sqlite_from_a_thread_while_it_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    settings = load_settings(
        environment="test",
        database_url=url,
        secret_key="test-secret-" + "x" * 40,
        public_base_url="http://testserver",
    )
    web = create_app(App(settings=settings, engine=make_engine(url), registry=default_registry()))
    with TestClient(web):
        assert _running()
    assert not _running()
