from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

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


class Actor(Protocol):
    """Who makes a change, as the services read it: a Person, or a PersonRow."""

    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def forvaltning(self) -> str: ...


@dataclass(frozen=True)
class PersonRow:
    """A person as read for a signed link: who acts, not an object to change.

    Every opened link starts by reading its person; building an ORM Person for that cost ~100 µs
    of the ~300 µs an owner page may take (see tracker.web.owner_http)."""

    id: int
    name: str
    email: str
    role: str
    forvaltning: str
    links_valid_after: datetime | None
    login_link_used_at: datetime | None
