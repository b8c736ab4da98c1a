"""Bootstrap: the one place where settings, database engine and workflows are put together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from config import Settings, load_settings
from tracker.db import make_engine, transaction
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
        """The unit of work every use case runs in: web request, command, scheduled job."""
        with transaction(self.engine) as session:
            yield session


def bootstrap(settings: Settings | None = None) -> App:
    settings = settings or load_settings()
    return App(
        settings=settings,
        engine=make_engine(
            settings.database_url, lock_timeout_s=settings.database_lock_timeout_seconds
        ),
        registry=registry_for(settings.workflow_dirs),
    )
