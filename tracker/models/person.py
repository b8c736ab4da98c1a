from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    chef = "chef"
    owner = "owner"
    board = "board"


ROLE_LABELS = {
    Role.admin: "Administratör",
    Role.chef: "Chef",
    Role.owner: "Ansvarig",
    Role.board: "Nämnd (läsare)",
}


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
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
