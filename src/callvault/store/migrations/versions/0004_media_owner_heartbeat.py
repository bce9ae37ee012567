"""calls.media_owner_seen_at: the media owner's heartbeat, so a dead owner can be told from a live one

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_owner_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("media_owner_seen_at")
