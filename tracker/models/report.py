"""Återrapporter: a draft, then (once approved) a numbered, immutable public record.

An issued report (state other than "utkast") is frozen: its snapshot, number, dates and files
never change. tracker.services.reports only ever moves it on (godkänd -> skickad); the
database refuses anything else through the triggers below, so a stray UPDATE from a script or
a console cannot rewrite a public record either.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, Column, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime

DRAFT_STATE = "utkast"


class Report(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_report_number"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    # Per plan, 1, 2, ...; given when the report is issued (a discarded draft uses none).
    number: int | None = None
    workflow: str = "aterrapport"
    state: str = DRAFT_STATE
    as_of: date
    # Events up to and including this instant are in the report; the next report lists the
    # changes after it.
    data_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # tracker.domain.report.Snapshot as JSON: everything the documents are rendered from.
    snapshot_json: str = Field(sa_column=Column(Text, nullable=False))
    # Count of åtgärder per state, {"pagar": 3, ...}: the progress chart of later reports.
    counts_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str = ""
    approved_by: str = ""
    approved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The local day the chef was reminded to approve the draft before the secretary's
    # deadline: set once, by a conditional UPDATE, so two schedulers remind once.
    approval_reminded_on: date | None = None
    version: int = 1


class ReportFile(SQLModel, table=True):
    """A rendered document of an issued report, with its SHA-256 for anyone to check."""

    __tablename__ = "report_file"
    __table_args__ = (UniqueConstraint("report_id", "format", name="uq_report_file_format"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    format: str
    filename: str
    content_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str


_MESSAGE = "En utfärdad återrapport är en allmän handling och kan inte ändras."

# After issue only the move to "skickad" (state, sent_at once, version) is allowed.
_SQLITE_DDL = [
    f"""
CREATE TRIGGER IF NOT EXISTS report_issued_immutable BEFORE UPDATE ON report
WHEN OLD.state <> '{DRAFT_STATE}' AND (
    NEW.state = '{DRAFT_STATE}'
    OR NEW.plan_id IS NOT OLD.plan_id OR NEW.number IS NOT OLD.number
    OR NEW.as_of IS NOT OLD.as_of OR NEW.data_until IS NOT OLD.data_until
    OR NEW.snapshot_json IS NOT OLD.snapshot_json OR NEW.counts_json IS NOT OLD.counts_json
    OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
    OR NEW.approved_by IS NOT OLD.approved_by OR NEW.approved_at IS NOT OLD.approved_at
    OR (OLD.sent_at IS NOT NULL AND NEW.sent_at IS NOT OLD.sent_at)
    OR NEW.workflow IS NOT OLD.workflow)
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
""",
    f"""
CREATE TRIGGER IF NOT EXISTS report_issued_undeletable BEFORE DELETE ON report
WHEN OLD.state <> '{DRAFT_STATE}'
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
""",
]

_SQLITE_FILE_DDL = [
    f"""
CREATE TRIGGER IF NOT EXISTS report_file_{op.lower()}_frozen BEFORE {op} ON report_file
WHEN (SELECT state FROM report WHERE id = {row}.report_id) <> '{DRAFT_STATE}'
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
"""
    for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
]

_PG_DDL = [
    f"""
CREATE OR REPLACE FUNCTION report_issued_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> '{DRAFT_STATE}' THEN
            RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state <> '{DRAFT_STATE}' AND (
        NEW.state = '{DRAFT_STATE}'
        OR NEW.plan_id IS DISTINCT FROM OLD.plan_id OR NEW.number IS DISTINCT FROM OLD.number
        OR NEW.as_of IS DISTINCT FROM OLD.as_of
        OR NEW.data_until IS DISTINCT FROM OLD.data_until
        OR NEW.snapshot_json IS DISTINCT FROM OLD.snapshot_json
        OR NEW.counts_json IS DISTINCT FROM OLD.counts_json
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR NEW.created_by IS DISTINCT FROM OLD.created_by
        OR NEW.approved_by IS DISTINCT FROM OLD.approved_by
        OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
        OR (OLD.sent_at IS NOT NULL AND NEW.sent_at IS DISTINCT FROM OLD.sent_at)
        OR NEW.workflow IS DISTINCT FROM OLD.workflow) THEN
        RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS report_issued_immutable ON report",
    """
CREATE TRIGGER report_issued_immutable BEFORE UPDATE OR DELETE ON report
FOR EACH ROW EXECUTE FUNCTION report_issued_immutable()
""",
]

_PG_FILE_DDL = [
    f"""
CREATE OR REPLACE FUNCTION report_file_frozen() RETURNS trigger AS $$
DECLARE
    rid integer;
BEGIN
    IF TG_OP = 'INSERT' THEN rid := NEW.report_id; ELSE rid := OLD.report_id; END IF;
    IF (SELECT state FROM report WHERE id = rid) <> '{DRAFT_STATE}' THEN
        RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS report_file_frozen ON report_file",
    """
CREATE TRIGGER report_file_frozen BEFORE INSERT OR UPDATE OR DELETE ON report_file
FOR EACH ROW EXECUTE FUNCTION report_file_frozen()
""",
]


def immutability_ddl(dialect: str) -> list[str]:
    """The trigger statements for a dialect ("sqlite" or "postgresql"), for the migration:
    `for stmt in immutability_ddl(op.get_bind().dialect.name): op.execute(stmt)`."""
    if dialect == "sqlite":
        return [*_SQLITE_DDL, *_SQLITE_FILE_DDL]
    if dialect == "postgresql":
        return [*_PG_DDL, *_PG_FILE_DDL]
    return []


# metadata.create_all (tests, benchmarks) installs them too. No migration calls
# immutability_ddl: 0001 carries its own frozen copy of the trigger code (IMMUTABILITY_DDL).
_REPORT_TABLE = SQLModel.metadata.tables["report"]
_FILE_TABLE = SQLModel.metadata.tables["report_file"]
for _stmt in _SQLITE_DDL:
    event.listen(_REPORT_TABLE, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in _PG_DDL:
    event.listen(_REPORT_TABLE, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
for _stmt in _SQLITE_FILE_DDL:
    event.listen(_FILE_TABLE, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in _PG_FILE_DDL:
    event.listen(_FILE_TABLE, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
