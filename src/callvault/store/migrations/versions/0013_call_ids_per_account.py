"""call ids are unique within their account, not across accounts (as recording ids are since 0007)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# 0001 left the unique constraint on calls.call_id unnamed; SQLite's batch mode finds it by this name.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _call_id_unique() -> str:
    """The name of the unique constraint on calls.call_id alone, as the database knows it."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return "uq_calls_call_id"
    for constraint in sa.inspect(bind).get_unique_constraints("calls"):
        if constraint["column_names"] == ["call_id"] and constraint["name"]:
            return str(constraint["name"])
    raise RuntimeError("no unique constraint on calls.call_id")


def upgrade() -> None:
    unique = _call_id_unique()
    with op.batch_alter_table("calls", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(unique, type_="unique")
        batch_op.create_unique_constraint("uq_calls_account_call", ["account_id", "call_id"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint("uq_calls_account_call", type_="unique")
        batch_op.create_unique_constraint("uq_calls_call_id", ["call_id"])
