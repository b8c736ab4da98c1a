"""the plan an internkontrollplan was copied from, so that its follow-up reports the
deviations still open in the plans before it: control_plan.copied_from_id

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not a batch copy: control_risk refers to control_plan (see 0002).
    op.add_column('control_plan', sa.Column('copied_from_id', sa.Integer(), nullable=True))
    # A copy made before this revision recorded its source only as its file name,
    # "kopia av <the source's title>" (tracker.services.internal_control.copy_to_year): the
    # same nämnd's plan with that title, of an earlier year.
    op.execute(
        """
        UPDATE control_plan SET copied_from_id = (
            SELECT source.id FROM control_plan AS source
            WHERE control_plan.filename = 'kopia av ' || source.title
              AND source.namnd = control_plan.namnd
              AND source.year < control_plan.year
            ORDER BY source.year DESC
            LIMIT 1
        )
        WHERE filename LIKE 'kopia av %'
        """
    )


def downgrade() -> None:
    # In place, not a batch copy: see 0002.
    op.drop_column('control_plan', 'copied_from_id')
