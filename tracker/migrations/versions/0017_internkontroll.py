"""internkontroll: a nämnd's internkontrollplan per year, its risks per process, and the
kontrollmoment that control each risk

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:23:24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'control_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('namnd', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('forvaltning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('namnd', 'year', name='uq_control_plan_namnd_year'),
    )
    op.create_index('ix_control_plan_forvaltning', 'control_plan', ['forvaltning'], unique=False)
    op.create_table(
        'control_risk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('process', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('likelihood', sa.Integer(), nullable=False),
        sa.Column('consequence', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('handling', sa.Text(), nullable=False),
        sa.Column('handling_owner_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['handling_owner_id'], ['person.id']),
        sa.ForeignKeyConstraint(['plan_id'], ['control_plan.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_control_risk_plan_id', 'control_risk', ['plan_id'], unique=False)
    op.create_table(
        'control_point',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('risk_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('method', sa.Text(), nullable=False),
        sa.Column('frequency_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['person.id']),
        sa.ForeignKeyConstraint(['risk_id'], ['control_risk.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_control_point_owner_id', 'control_point', ['owner_id'], unique=False)
    op.create_index('ix_control_point_risk_id', 'control_point', ['risk_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_control_point_risk_id', table_name='control_point')
    op.drop_index('ix_control_point_owner_id', table_name='control_point')
    op.drop_table('control_point')
    op.drop_index('ix_control_risk_plan_id', table_name='control_risk')
    op.drop_table('control_risk')
    op.drop_index('ix_control_plan_forvaltning', table_name='control_plan')
    op.drop_table('control_plan')
