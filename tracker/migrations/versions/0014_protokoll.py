"""decisions from a protokoll: the uploaded minutes with their drafted decisions, and an
åtgärd's link to the protokoll and item it was decided in, with the decision's words

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'protokoll',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('forvaltning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('meeting_on', sa.Date(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('drafts_json', sa.Text(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by', sa.Integer(), nullable=True),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['person.id']),
        sa.ForeignKeyConstraint(['confirmed_by'], ['person.id']),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_protokoll_forvaltning', 'protokoll', ['forvaltning'], unique=False)
    op.add_column('action', sa.Column('protokoll_id', sa.Integer(), nullable=True))
    op.add_column(
        'action', sa.Column('protokoll_item', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    op.add_column('action', sa.Column('protokoll_quote', sa.Text(), nullable=True))
    op.create_index('ix_action_protokoll_id', 'action', ['protokoll_id'], unique=False)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of action would trip the foreign keys of
    # the tables that point at it.
    op.drop_index('ix_action_protokoll_id', table_name='action')
    op.drop_column('action', 'protokoll_quote')
    op.drop_column('action', 'protokoll_item')
    op.drop_column('action', 'protokoll_id')
    op.drop_index('ix_protokoll_forvaltning', table_name='protokoll')
    op.drop_table('protokoll')
