"""an utvecklingsområde's history: an area_event row per change of its title or section

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:33:34
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table: areas renamed before it have no history, as before.
    op.create_table(
        'area_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('old', sa.Text(), nullable=False),
        sa.Column('new', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['person.id']),
        sa.ForeignKeyConstraint(['area_id'], ['area.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_area_event_area_id'), 'area_event', ['area_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_area_event_area_id'), table_name='area_event')
    op.drop_table('area_event')
