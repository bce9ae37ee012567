"""Governance: legal holds, per-account policies (retention, redaction), erasure receipts, and the
original media a redacted recording keeps

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hold_id", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(128), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime()),
        sa.Column("released_by", sa.String(128)),
        sa.Column("release_reason", sa.Text()),
    )
    op.create_index("ix_legal_holds_active", "legal_holds", ["account_id", "kind", "target", "released_at"])
    op.create_table(
        "account_policies",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "erasure_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("receipt_id", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("number_sha256", sa.String(64), nullable=False),
        sa.Column("number_hint", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
    )
    op.create_index("ix_erasure_receipts_account", "erasure_receipts", ["account_id", "created_at"])
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_media_key", sa.String(256), nullable=True))
        batch_op.add_column(sa.Column("original_media_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("original_media_sha256", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("redacted_at")
        batch_op.drop_column("original_media_sha256")
        batch_op.drop_column("original_media_size")
        batch_op.drop_column("original_media_key")
    op.drop_index("ix_erasure_receipts_account", table_name="erasure_receipts")
    op.drop_table("erasure_receipts")
    op.drop_table("account_policies")
    op.drop_index("ix_legal_holds_active", table_name="legal_holds")
    op.drop_table("legal_holds")
