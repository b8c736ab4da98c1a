from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Protokoll(SQLModel, table=True):
    """An uploaded protokoll (a ledningsgrupp's minutes): its text, the decisions drafted from
    it while the chef reviews them, and, once confirmed, the plan its åtgärder went into."""

    id: int | None = Field(default=None, primary_key=True)
    # The förvaltning it was uploaded in: whose chefs may review it, and the plan's.
    forvaltning: str = Field(default="", index=True)
    # Who met: "Ledningsgruppen".
    body: str
    meeting_on: date
    title: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    filename: str = ""
    # The decisions as the chef last saved them (tracker.domain.protokoll.drafts_to_json),
    # kept between the upload and the confirmation so that a reload loses nothing.
    drafts_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # Raised by every save of the drafts and by the confirmation, each a conditional UPDATE
    # on the version the page showed: two people reviewing at once cannot overwrite each
    # other's drafts, nor confirm drafts changed after they loaded the page.
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="person.id")
    # Set once, by a conditional UPDATE: a second confirmation creates nothing.
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
