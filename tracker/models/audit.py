"""Granskningar (audits by the revisorer), their rekommendationer with the nämnd's yttrande,
which åtgärder answer each one, and the issued "Uppföljning av granskning" documents.

An issued document is a public record like an issued återrapport: its bytes and SHA-256 never
change. The database refuses any UPDATE or DELETE of one (the triggers below), so neither the
product nor a stray script can rewrite what the revisorer were sent.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, Column, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Audit(SQLModel, table=True):
    """A granskning: the revisorer's report on a förvaltning's work."""

    __tablename__ = "granskning"
    __table_args__ = (UniqueConstraint("title", "forvaltning", name="uq_granskning_title"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str
    # The audit firm or the revisorer themselves ("KPMG").
    auditor: str = ""
    report_on: date | None = None
    dnr: str = ""
    # Where the follow-up goes: the revisorer's address.
    recipient_email: str = ""
    forvaltning: str = Field(default="", index=True)
    namnd: str = ""
    # The follow-up is signed like an återrapport ("Piteå 2018-01-10, Malin Westling,
    # förvaltningschef"); empty: taken from the first plan that answers it.
    ort: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Recommendation(SQLModel, table=True):
    """A rekommendation of a granskning, with the nämnd's yttrande on it."""

    __tablename__ = "rekommendation"

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="granskning.id", index=True)
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
    response: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class RecommendationAction(SQLModel, table=True):
    """An åtgärd (of any plan) that answers a rekommendation."""

    __tablename__ = "rekommendation_atgard"

    recommendation_id: int = Field(foreign_key="rekommendation.id", primary_key=True)
    action_id: int = Field(foreign_key="action.id", primary_key=True, index=True)


class AuditDocument(SQLModel, table=True):
    """One format of an issued "Uppföljning av granskning", numbered per granskning."""

    __tablename__ = "granskning_dokument"
    __table_args__ = (
        UniqueConstraint("audit_id", "number", "format", name="uq_granskning_dokument"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="granskning.id", index=True)
    number: int
    format: str
    filename: str
    content_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    issued_by: str = ""
    # Whom the issued version was sent to ("" for no one), written with it: an issued
    # document is never changed, so whether it went out is known when it is made.
    sent_to: str = ""


FROZEN_MESSAGE = (
    "En utfärdad uppföljning av en granskning är en allmän handling och kan inte ändras."
)

# Copied, not imported, by the migration that creates the table (0013).
_SQLITE_DDL = [
    f"""
CREATE TRIGGER IF NOT EXISTS granskning_dokument_{op.lower()}_frozen
BEFORE {op} ON granskning_dokument
BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END
"""
    for op in ("UPDATE", "DELETE")
]

_PG_DDL = [
    f"""
CREATE OR REPLACE FUNCTION granskning_dokument_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{FROZEN_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS granskning_dokument_frozen ON granskning_dokument",
    """
CREATE TRIGGER granskning_dokument_frozen BEFORE UPDATE OR DELETE ON granskning_dokument
FOR EACH ROW EXECUTE FUNCTION granskning_dokument_frozen()
""",
]

_TABLE = SQLModel.metadata.tables["granskning_dokument"]
for _stmt in _SQLITE_DDL:
    event.listen(_TABLE, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in _PG_DDL:
    event.listen(_TABLE, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
