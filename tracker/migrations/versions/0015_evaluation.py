"""an evaluation's answers kept with its event, and an åtgärd's indicators with their values

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the events already written: they asked no fields.
    op.add_column('action_event', sa.Column('answers_json', sa.Text(), nullable=True))
    op.create_table(
        'indicator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('baseline_value', sa.Float(), nullable=True),
        sa.Column('baseline_on', sa.Date(), nullable=True),
        sa.Column('target_value', sa.Float(), nullable=True),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('action_id', 'name', name='uq_indicator_name'),
    )
    op.create_index('ix_indicator_action_id', 'indicator', ['action_id'], unique=False)
    op.create_table(
        'indicator_value',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('measured_on', sa.Date(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('indicator_id', 'measured_on', name='uq_indicator_value_date'),
    )


def downgrade() -> None:
    op.drop_table('indicator_value')
    op.drop_index('ix_indicator_action_id', table_name='indicator')
    op.drop_table('indicator')
    # In place, not a batch copy: see 0002.
    op.drop_column('action_event', 'answers_json')
