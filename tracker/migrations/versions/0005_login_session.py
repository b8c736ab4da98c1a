"""log-out ends the log-in: a login_session row per browser, checked on every request

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table, nothing to carry over: the signed cookies of the release before hold no
    # session id, so everyone logged in then logs in once more.
    op.create_table(
        'login_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        op.f('ix_login_session_person_id'), 'login_session', ['person_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_login_session_person_id'), table_name='login_session')
    op.drop_table('login_session')
