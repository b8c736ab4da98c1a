"""which åtgärder a queued message is about, so one about an åtgärd that changed owner can be
withdrawn before it goes: outbox_action

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 17:13:49
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'outbox_action',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id']),
        sa.PrimaryKeyConstraint('message_id', 'action_id'),
    )
    op.create_index('ix_outbox_action_action_id', 'outbox_action', ['action_id'])


def downgrade() -> None:
    op.drop_index('ix_outbox_action_action_id', table_name='outbox_action')
    op.drop_table('outbox_action')
