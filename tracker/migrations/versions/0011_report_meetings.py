"""plans report at the nämnd's meetings: the plan's decision (date and §) and the date a
meeting was first planned for, and the date a report reminder named

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('plan', sa.Column('decision_on', sa.Date(), nullable=True))
    op.add_column(
        'plan',
        sa.Column(
            'decision_paragraph',
            sqlmodel.sql.sqltypes.AutoString(),
            nullable=False,
            server_default='',
        ),
    )
    op.add_column('meeting', sa.Column('planned_on', sa.Date(), nullable=True))
    op.add_column('sent_reminder', sa.Column('told_on', sa.Date(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of plan would trip the foreign keys of
    # the tables that point at it.
    op.drop_column('sent_reminder', 'told_on')
    op.drop_column('meeting', 'planned_on')
    op.drop_column('plan', 'decision_paragraph')
    op.drop_column('plan', 'decision_on')
