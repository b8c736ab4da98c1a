"""API tokens: a named token per förvaltning or for every one, stored as its SHA-256

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.models.base

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('forvaltning', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('read_all', sa.Boolean(), nullable=False),
        sa.Column('created_at', tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(read_all AND forvaltning = '') OR (NOT read_all AND forvaltning <> '')",
            name='ck_api_token_scope',
        ),
        sa.ForeignKeyConstraint(['created_by_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash', name='uq_api_token_hash'),
    )


def downgrade() -> None:
    op.drop_table('api_token')
