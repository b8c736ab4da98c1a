"""which återrapport a queued message carries to the nämnd, so the report's page can tell
queued from delivered: outbox_report

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports sent before have no rows here; their page goes on saying "Skickad" as it did.
    op.create_table(
        'outbox_report',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id']),
        sa.ForeignKeyConstraint(['report_id'], ['report.id']),
        sa.PrimaryKeyConstraint('message_id'),
    )
    op.create_index('ix_outbox_report_report_id', 'outbox_report', ['report_id'])


def downgrade() -> None:
    op.drop_index('ix_outbox_report_report_id', table_name='outbox_report')
    op.drop_table('outbox_report')
