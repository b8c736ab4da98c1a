"""which issued granskning follow-up a queued message carries to the revisorer, so the
granskning's page can tell queued from delivered: outbox_granskning_dokument

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 20:08:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Versions sent before have no rows here; their page goes on saying "Skickad till" as it did.
    op.create_table(
        'outbox_granskning_dokument',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['granskning_dokument.id']),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id']),
        sa.PrimaryKeyConstraint('message_id', 'document_id'),
    )
    op.create_index(
        'ix_outbox_granskning_dokument_document_id',
        'outbox_granskning_dokument',
        ['document_id'],
    )


def downgrade() -> None:
    op.drop_index(
        'ix_outbox_granskning_dokument_document_id', table_name='outbox_granskning_dokument'
    )
    op.drop_table('outbox_granskning_dokument')
