"""an edit event keeps the fields as they were: action_event.before_json

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the events already written: a report as of an earlier date shows those
    # åtgärder's current texts and dates, as before this revision.
    op.add_column('action_event', sa.Column('before_json', sa.Text(), nullable=True))


def downgrade() -> None:
    # In place, not a batch copy: see 0002.
    op.drop_column('action_event', 'before_json')
