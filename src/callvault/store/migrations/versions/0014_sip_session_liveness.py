"""calls.source, calls.siprec_session_id, calls.stream_id: where a call recorded from outside comes
from, so its active call can be found (listing, SIPREC failover) before its recording is finished

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("siprec_session_id", sa.String(256), nullable=True))
        batch_op.add_column(sa.Column("stream_id", sa.String(256), nullable=True))
    op.create_index("ix_calls_siprec_session", "calls", ["account_id", "siprec_session_id"])
    op.create_index("ix_calls_stream", "calls", ["account_id", "stream_id"])


def downgrade() -> None:
    op.drop_index("ix_calls_stream", table_name="calls")
    op.drop_index("ix_calls_siprec_session", table_name="calls")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("stream_id")
        batch_op.drop_column("siprec_session_id")
        batch_op.drop_column("source")
