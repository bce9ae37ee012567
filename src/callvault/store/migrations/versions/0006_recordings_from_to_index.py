"""recordings (account_id, from_number, to_number, start_time): the list filtered by from and to reads
only the rows it answers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:25:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_recordings_account_from_to_start",
        "recordings",
        ["account_id", "from_number", "to_number", "start_time"],
    )


def downgrade() -> None:
    op.drop_index("ix_recordings_account_from_to_start", table_name="recordings")
