"""recording ids are unique within their account, not across accounts; transcriptions carry their account

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0001 left these unique constraints unnamed; SQLite's batch mode finds them by this convention.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _single_column_unique(table: str, column: str) -> str:
    """The name of the unique constraint on `table.column` alone, as the database knows it."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return f"uq_{table}_{column}"
    for constraint in sa.inspect(bind).get_unique_constraints(table):
        if constraint["column_names"] == [column] and constraint["name"]:
            return str(constraint["name"])
    raise RuntimeError(f"no unique constraint on {table}.{column}")


def upgrade() -> None:
    recordings_unique = _single_column_unique("recordings", "recording_id")
    transcriptions_unique = _single_column_unique("transcriptions", "recording_id")
    with op.batch_alter_table("recordings", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(recordings_unique, type_="unique")
        batch_op.create_unique_constraint("uq_recordings_account_recording", ["account_id", "recording_id"])
    with op.batch_alter_table("transcriptions") as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=128), nullable=True))
    op.execute(
        "UPDATE transcriptions SET account_id = (SELECT recordings.account_id FROM recordings "
        "WHERE recordings.recording_id = transcriptions.recording_id)"
    )
    op.execute("DELETE FROM transcriptions WHERE account_id IS NULL")
    with op.batch_alter_table("transcriptions", naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.String(length=128), nullable=False)
        batch_op.drop_constraint(transcriptions_unique, type_="unique")
        batch_op.create_unique_constraint(
            "uq_transcriptions_account_recording", ["account_id", "recording_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("transcriptions") as batch_op:
        batch_op.drop_constraint("uq_transcriptions_account_recording", type_="unique")
        batch_op.create_unique_constraint("uq_transcriptions_recording_id", ["recording_id"])
        batch_op.drop_column("account_id")
    with op.batch_alter_table("recordings") as batch_op:
        batch_op.drop_constraint("uq_recordings_account_recording", type_="unique")
        batch_op.create_unique_constraint("uq_recordings_recording_id", ["recording_id"])
