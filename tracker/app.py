"""Bootstrap: the one place where settings, database engine and workflows are put together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from config import Settings, load_settings
from tracker.db import make_engine, transaction
from tracker.domain.risk import RiskScale
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

    @cached_property
    def risk_scale(self) -> RiskScale:
        """The kommun's risk scale for internkontroll ([tracker.risk] in the settings file;
        SKR's 4 × 4 when not given). A plan keeps the scale it was imported with."""
        return RiskScale.from_dict(self.settings.risk)

    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Session]:
        """The unit of work every use case runs in: web request, command, scheduled job; a
        dry run (`--dry-run` of an import) is rolled back instead of committed."""
        with transaction(self.engine, dry_run=dry_run) as session:
            yield session


def bootstrap(settings: Settings | None = None) -> App:
    """The App for these settings (read from the file and environment when not given). A
    risk scale that cannot be used stops the start, with the reason."""
    settings = settings or load_settings()
    app = App(
        settings=settings,
        engine=make_engine(
            settings.database_url, lock_timeout_s=settings.database_lock_timeout_seconds
        ),
        registry=registry_for(settings.workflow_dirs),
    )
    _ = app.risk_scale
    return app
