"""Recording sources: SIPREC clients (sip_sources), media-stream tokens, per-account recording
settings, and recordings.source (where a recording's audio came from)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sip_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("networks", sa.JSON(), nullable=False),
        sa.Column("username", sa.String(128), unique=True),
        sa.Column("ha1", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "stream_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_table(
        "account_recording_settings",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("source")
    op.drop_table("account_recording_settings")
    op.drop_table("stream_tokens")
    op.drop_table("sip_sources")
