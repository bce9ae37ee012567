"""Roles, API credentials and the access log: user_accounts.role (existing users are `member`),
api_credentials (client_id + a hash of the secret, per account and role), access_log (a hash chain),
access_log_head (its head, the row every append locks) and access_log_anchors (signed heads)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("user_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
    op.create_table(
        "api_credentials",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128)),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
        sa.Column("last_used_at", sa.DateTime()),
    )
    op.create_index("ix_api_credentials_account", "api_credentials", ["account_id"])
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("account_id", sa.String(128)),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("recording_id", sa.String(128)),
        sa.Column("call_id", sa.String(128)),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_access_log_account_seq", "access_log", ["account_id", "seq"])
    op.create_index("ix_access_log_account_recording", "access_log", ["account_id", "recording_id"])
    op.create_index("ix_access_log_actor", "access_log", ["actor", "seq"])
    head = op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "seq": 0,
                "entry_hash": GENESIS_HASH,
                "updated_at": datetime.now(UTC).replace(tzinfo=None),
            }
        ],
    )
    op.create_table(
        "access_log_anchors",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("access_log_anchors")
    op.drop_table("access_log_head")
    op.drop_index("ix_access_log_actor", table_name="access_log")
    op.drop_index("ix_access_log_account_recording", table_name="access_log")
    op.drop_index("ix_access_log_account_seq", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_api_credentials_account", table_name="api_credentials")
    op.drop_table("api_credentials")
    with op.batch_alter_table("user_accounts", schema=None) as batch_op:
        batch_op.drop_column("role")
