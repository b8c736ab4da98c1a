from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from tracker.domain.roles import ROLE_LABELS, Role
from tracker.models.base import UTCDateTime

__all__ = ["ROLE_LABELS", "Person", "Role"]


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    # Stored lower-cased: addresses are compared case-insensitively.
    email: str = Field(unique=True, index=True)
    role: str = Field(default=Role.owner.value)
    forvaltning: str = Field(default="")
    # Signed links issued before this moment are refused: revoking is one UPDATE.
    links_valid_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # When the newest log-in link used was issued: a log-in link works once, and the ones
    # issued before it stop working too.
    login_link_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # A chef or admin who chose it gets a daily summary of what owners reported in the plans
    # they lead, with the reminder sweep.
    daily_summary: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
