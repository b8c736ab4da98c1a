from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class LoginSession(SQLModel, table=True):
    """A log-in (chef, admin, board reader) in one browser: live until it is ended (log-out,
    "logga ut överallt", revoked links, a new role) or has been idle or lived too long.

    The browser's cookie holds a random token; the row holds only its SHA-256, so a copy of
    the table cannot be used to log in. Ending a session is one UPDATE, whatever the cookie
    still says.
    """

    __tablename__ = "login_session"

    # hex SHA-256 of the token in the cookie
    id: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Written at most about once a minute (tracker.services.access.TOUCH_EVERY), not per request.
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
