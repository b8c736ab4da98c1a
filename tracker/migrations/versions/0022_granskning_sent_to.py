"""an issued granskning follow-up says whom it was sent to: granskning_dokument.sent_to

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Versions issued before were sent to no one by the product.
    op.add_column(
        'granskning_dokument',
        sa.Column('sent_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''),
    )


def downgrade() -> None:
    # In place, not a batch copy: see 0002. (A batch copy would drop the triggers that keep
    # the issued documents unchanged.)
    op.drop_column('granskning_dokument', 'sent_to')
