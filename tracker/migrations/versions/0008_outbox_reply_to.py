"""an owner's mail can be answered: outbox_message.reply_to (the plan's chef)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Messages already queued keep no Reply-To, as they were written.
    op.add_column(
        'outbox_message',
        sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
    )


def downgrade() -> None:
    # In place, not a batch copy: see 0002.
    op.drop_column('outbox_message', 'reply_to')
