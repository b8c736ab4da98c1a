"""a chef can publish a plan openly, without a log-in: plan.published

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not a batch copy: other tables refer to plan (see 0002). Every plan already
    # there stays unpublished: publishing is the chef's choice, made on the plan's settings.
    op.add_column(
        'plan',
        sa.Column('published', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column('plan', 'published')
