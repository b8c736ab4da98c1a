"""escalations that wait for an answer: each step (level, to whom, acknowledged), who holds
the levels above the plan's chef, and an åtgärd's original klart-datum once a new one is agreed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'escalation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('timer_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('anchor', sa.Date(), nullable=False),
        sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('level_index', sa.Integer(), nullable=False),
        sa.Column('sent_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('sent_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            'acknowledged_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column('acknowledged_by', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('new_due_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['acknowledged_by'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('action_id', 'timer_id', 'anchor', 'level', name='uq_escalation_step'),
    )
    op.create_index(
        'ix_escalation_open', 'escalation', ['acknowledged_at', 'action_id'], unique=False
    )
    op.create_table(
        'escalation_holder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('forvaltning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('level', 'forvaltning', name='uq_escalation_holder'),
    )
    op.add_column('action', sa.Column('original_due_on', sa.Date(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of action would trip the foreign keys of
    # the tables that point at it.
    op.drop_column('action', 'original_due_on')
    op.drop_table('escalation_holder')
    op.drop_index('ix_escalation_open', table_name='escalation')
    op.drop_table('escalation')
