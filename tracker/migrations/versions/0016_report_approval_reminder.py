"""the day the chef was reminded to approve a draft before the secretary's deadline

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('report', sa.Column('approval_reminded_on', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('report', 'approval_reminded_on')
