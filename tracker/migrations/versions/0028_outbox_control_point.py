"""which kontrollmoment a waiting assignment mail tells of, so that the mail written anew
before it goes still lists them: outbox_control_point

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mail queued before has no rows here: it named its kontrollmoment and went at once.
    op.create_table(
        'outbox_control_point',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id']),
        sa.ForeignKeyConstraint(['point_id'], ['control_point.id']),
        sa.PrimaryKeyConstraint('message_id', 'point_id'),
    )
    op.create_index(
        'ix_outbox_control_point_point_id', 'outbox_control_point', ['point_id']
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_control_point_point_id', table_name='outbox_control_point')
    op.drop_table('outbox_control_point')
