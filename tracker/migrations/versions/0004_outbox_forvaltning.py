"""a chef's outbox page shows their förvaltning's messages: outbox_message.forvaltning

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # '' for the messages already queued: they show to admins and to chefs of every
    # förvaltning, not to a chef of one.
    op.add_column(
        'outbox_message',
        sa.Column(
            'forvaltning', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''
        ),
    )


def downgrade() -> None:
    # In place, not a batch copy: see 0002.
    op.drop_column('outbox_message', 'forvaltning')
