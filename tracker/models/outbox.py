from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be sent, written in the same transaction as its cause.

    status: pending -> sending (claimed by one dispatcher) -> sent | failed (permanent).
    A temporary failure puts it back to pending with a later `next_attempt_at`. A message
    no longer true before it went (pending or failed, never one being sent) is withdrawn.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # Stable, so a resend after a crash carries the same Message-ID.
    message_id: str = Field(unique=True)
    # What caused it, for people reading the outbox ("påminnelse", "tilldelning", "inloggning").
    kind: str
    to_addr: str = Field(index=True)
    # Whose it is, for the outbox page: a chef sees their förvaltning's messages, an admin
    # (and a chef of every förvaltning) all. "" when it belongs to none or to several.
    forvaltning: str = ""
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    # The Reply-To address (OutgoingMessage.reply_to); "" for none.
    reply_to: str = ""
    status: str = Field(default="pending")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    claimed_by: str = ""
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutboxAttachment(SQLModel, table=True):
    __tablename__ = "outbox_attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True)
    filename: str
    content_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxAction(SQLModel, table=True):
    """An åtgärd a message is about, so that a message about an åtgärd that changed owner
    can be withdrawn, or written anew for what is still the addressee's, before it goes."""

    __tablename__ = "outbox_action"

    message_id: int = Field(foreign_key="outbox_message.id", primary_key=True)
    action_id: int = Field(foreign_key="action.id", primary_key=True, index=True)


class OutboxControlPoint(SQLModel, table=True):
    """A kontrollmoment an assignment mail tells its addressee is now theirs (a hand-over's),
    so that a mail written anew before it goes still lists those that are, as OutboxAction
    keeps its åtgärder."""

    __tablename__ = "outbox_control_point"

    message_id: int = Field(foreign_key="outbox_message.id", primary_key=True)
    point_id: int = Field(foreign_key="control_point.id", primary_key=True, index=True)


class OutboxReport(SQLModel, table=True):
    """The återrapport a message carries to the nämnd, so that the report's page can tell
    queued from delivered (and from failed) by its messages' state."""

    __tablename__ = "outbox_report"

    message_id: int = Field(foreign_key="outbox_message.id", primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)


class OutboxAuditDocument(SQLModel, table=True):
    """An issued granskning follow-up's document a message carries to the revisorer, so that
    the granskning's page can tell queued from delivered (and from failed), as for an
    återrapport."""

    __tablename__ = "outbox_granskning_dokument"

    message_id: int = Field(foreign_key="outbox_message.id", primary_key=True)
    document_id: int = Field(foreign_key="granskning_dokument.id", primary_key=True, index=True)
