"""Encryption at rest: media_keys (each blob's data key, wrapped) and account_public_keys
(customer-held keys)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_keys",
        sa.Column("blob_key", sa.String(512), primary_key=True),
        sa.Column("master_key_id", sa.String(16)),
        sa.Column("master_wrapped", sa.LargeBinary()),
        sa.Column("sealed_key_id", sa.String(32)),
        sa.Column("sealed_wrapped", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_media_keys_master_key_id", "media_keys", ["master_key_id"])
    op.create_table(
        "account_public_keys",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_public_keys")
    op.drop_index("ix_media_keys_master_key_id", table_name="media_keys")
    op.drop_table("media_keys")
