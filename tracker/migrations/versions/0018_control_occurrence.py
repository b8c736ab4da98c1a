"""control occurrences: each control of a kontrollmoment as an åtgärd in the kontroll
workflow, the åtgärdsplan and the risk scale of an internkontrollplan, and the åtgärd a
deviation opened from

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('action', sa.Column('opened_from_id', sa.Integer(), nullable=True))
    op.create_index('ix_action_opened_from_id', 'action', ['opened_from_id'], unique=False)
    op.add_column('control_plan', sa.Column('plan_id', sa.Integer(), nullable=True))
    op.create_index('ix_control_plan_plan_id', 'control_plan', ['plan_id'], unique=False)
    op.add_column(
        'control_plan',
        sa.Column('risk_scale_json', sa.Text(), nullable=False, server_default=''),
    )
    op.create_table(
        'control_occurrence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['point_id'], ['control_point.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('action_id'),
        sa.UniqueConstraint('point_id', 'due_on', name='uq_control_occurrence_point_due'),
    )
    op.create_index(
        'ix_control_occurrence_point_id', 'control_occurrence', ['point_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_control_occurrence_point_id', table_name='control_occurrence')
    op.drop_table('control_occurrence')
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would trip the foreign keys of the
    # tables that point at action and control_plan.
    op.drop_column('control_plan', 'risk_scale_json')
    op.drop_index('ix_control_plan_plan_id', table_name='control_plan')
    op.drop_column('control_plan', 'plan_id')
    op.drop_index('ix_action_opened_from_id', table_name='action')
    op.drop_column('action', 'opened_from_id')
