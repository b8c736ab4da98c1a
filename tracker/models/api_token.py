"""API tokens: what a program outside the product reads the API with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class ApiToken(SQLModel, table=True):
    """A named token for the read API, limited to one förvaltning or reading them all.

    The token itself is shown once, when it is made; the row holds only its SHA-256 (a random
    token of 256 bits needs no slow hash), so a copy of the table cannot be used to read the
    API. Revoking is setting `revoked_at`; the row stays, so the log's token ids keep a name.
    """

    __tablename__ = "api_token"
    # Exactly one scope: a förvaltning, or every one. An empty förvaltning never means "all".
    __table_args__ = (
        CheckConstraint(
            "(read_all AND forvaltning = '') OR (NOT read_all AND forvaltning <> '')",
            name="ck_api_token_scope",
        ),
        UniqueConstraint("token_hash", name="uq_api_token_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # hex SHA-256 of the token
    token_hash: str = Field(max_length=64)
    forvaltning: str = Field(default="", max_length=200)
    read_all: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The admin who made it; None when it was made on the command line.
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    # Written at most about once a minute (tracker.services.api_tokens.TOUCH_EVERY).
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
