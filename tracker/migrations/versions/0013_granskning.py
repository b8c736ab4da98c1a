"""revision follow-up: granskningar, their rekommendationer with the nämnd's yttrande, the
åtgärder answering each, and the issued follow-up documents (frozen by triggers)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of tracker.models.audit's trigger code, as it was when this revision was
# written: an old revision does not change when the code does.
_MESSAGE = (
    "En utfärdad uppföljning av en granskning är en allmän handling och kan inte ändras."
)
SQLITE_DDL = [
    f"""
CREATE TRIGGER IF NOT EXISTS granskning_dokument_{operation.lower()}_frozen
BEFORE {operation} ON granskning_dokument
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
"""
    for operation in ("UPDATE", "DELETE")
]
PG_DDL = [
    f"""
CREATE OR REPLACE FUNCTION granskning_dokument_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS granskning_dokument_frozen ON granskning_dokument",
    """
CREATE TRIGGER granskning_dokument_frozen BEFORE UPDATE OR DELETE ON granskning_dokument
FOR EACH ROW EXECUTE FUNCTION granskning_dokument_frozen()
""",
]


def upgrade() -> None:
    op.create_table(
        'granskning',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('auditor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('report_on', sa.Date(), nullable=True),
        sa.Column('dnr', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('recipient_email', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('forvaltning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('namnd', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('ort', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('signatory_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('signatory_title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('title', 'forvaltning', name='uq_granskning_title'),
    )
    op.create_index('ix_granskning_forvaltning', 'granskning', ['forvaltning'], unique=False)
    op.create_table(
        'rekommendation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('response', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['granskning.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rekommendation_audit_id', 'rekommendation', ['audit_id'], unique=False)
    op.create_table(
        'rekommendation_atgard',
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['recommendation_id'], ['rekommendation.id']),
        sa.PrimaryKeyConstraint('recommendation_id', 'action_id'),
    )
    op.create_index(
        'ix_rekommendation_atgard_action_id', 'rekommendation_atgard', ['action_id'], unique=False
    )
    op.create_table(
        'granskning_dokument',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('format', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('issued_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['granskning.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('audit_id', 'number', 'format', name='uq_granskning_dokument'),
    )
    op.create_index(
        'ix_granskning_dokument_audit_id', 'granskning_dokument', ['audit_id'], unique=False
    )
    dialect = op.get_bind().dialect.name
    for stmt in SQLITE_DDL if dialect == 'sqlite' else PG_DDL if dialect == 'postgresql' else []:
        op.execute(stmt)


def downgrade() -> None:
    # Dropping the table drops its triggers; PostgreSQL keeps the function.
    op.drop_index('ix_granskning_dokument_audit_id', table_name='granskning_dokument')
    op.drop_table('granskning_dokument')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS granskning_dokument_frozen()')
    op.drop_index('ix_rekommendation_atgard_action_id', table_name='rekommendation_atgard')
    op.drop_table('rekommendation_atgard')
    op.drop_index('ix_rekommendation_audit_id', table_name='rekommendation')
    op.drop_table('rekommendation')
    op.drop_index('ix_granskning_forvaltning', table_name='granskning')
    op.drop_table('granskning')
