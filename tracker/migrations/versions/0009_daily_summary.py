"""a chef can choose a daily summary of owners' reports: person.daily_summary, sent_summary

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not a batch copy: other tables refer to person (see 0002). Off for everyone
    # already there: a summary is only sent to someone who chose it.
    op.add_column(
        'person',
        sa.Column('daily_summary', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        'sent_summary',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'local_date', name='uq_sent_summary'),
    )


def downgrade() -> None:
    op.drop_table('sent_summary')
    op.drop_column('person', 'daily_summary')
