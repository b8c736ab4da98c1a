"""log-in links work once: person.login_link_used_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: every row gets NULL, which means "no log-in link used yet".
    op.add_column(
        'person',
        sa.Column(
            'login_link_used_at', tracker.models.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    # Not a batch (copy-and-rename) operation: on SQLite that drops the person table, which
    # every plan and åtgärd refers to. SQLite has had ALTER TABLE DROP COLUMN since 3.35.
    op.drop_column('person', 'login_link_used_at')
