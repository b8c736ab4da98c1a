"""Bootstrap: the one place where settings, database engine and workflows are put together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from config import Settings, load_settings
from tracker.db import make_engine, single_write, transaction
from workflows import WorkflowRegistry
from workflows.registry import registry_for


@dataclass
class App:
    settings: Settings
    engine: Engine
    registry: WorkflowRegistry

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session

    @contextmanager
    def single_write(self, *, lock_patience_s: float | None = None) -> Iterator[Connection]:
        with single_write(self.engine, lock_patience_s=lock_patience_s) as conn:
            yield conn


def bootstrap(settings: Settings | None = None) -> App:
    settings = settings or load_settings()
    return App(
        settings=settings,
        engine=make_engine(settings.database_url),
        registry=registry_for(settings.workflow_dirs),
    )
