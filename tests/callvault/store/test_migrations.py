"""Migrations on databases that hold rows: 0007 (recording ids unique per account), 0010 (encryption
keys), 0012 (governance), 0013 (call ids unique per account, on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from callvault.store.migrate import alembic_config
from support import postgres
from support.needs import unavailable

RECORDING = (
    "INSERT INTO recordings (recording_id, account_id, call_id, channels, start_time, duration_seconds, "
    "file_format, status, created_at) VALUES (:rid, :account, 'c-1', 1, '2030-01-01 00:00:00', 1.0, 'wav', "
    "'complete', '2030-01-01 00:00:00')"
)


def test_0007_keeps_rows_and_makes_recording_ids_unique_per_account(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0004")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(RECORDING), {"rid": "r-1", "account": "1"})
        conn.execute(
            text(
                "INSERT INTO transcriptions (recording_id, transcription_id, status, request, requested_at) "
                "VALUES ('r-1', 't-1', 'available', '{}', '2030-01-01 00:00:00')"
            )
        )
    command.upgrade(config, "0007")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT account_id FROM transcriptions")).scalar_one() == "1"
        conn.execute(text(RECORDING), {"rid": "r-1", "account": "2"})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(RECORDING), {"rid": "r-1", "account": "2"})
    with engine.begin() as conn:  # going back needs ids unique across accounts again
        conn.execute(text("DELETE FROM recordings WHERE account_id = '2'"))
    command.downgrade(config, "0004")
    engine.dispose()


def test_0010_encryption_keys_goes_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0010")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO media_keys (blob_key, master_key_id, master_wrapped, created_at) "
                "VALUES ('ab/cd/x.wav', '0123456789abcdef', x'00', '2030-01-01 00:00:00')"
            )
        )
    command.downgrade(config, "0008")
    with engine.begin() as conn:
        tables = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert "media_keys" not in tables and "account_public_keys" not in tables
    command.upgrade(config, "0010")
    engine.dispose()


def test_0012_adds_governance_tables_and_keeps_recordings_both_ways(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(RECORDING), {"rid": "r-1", "account": "1"})
    command.upgrade(config, "0012")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT original_media_key FROM recordings")).scalar_one() is None
        conn.execute(
            text(
                "INSERT INTO legal_holds (hold_id, account_id, kind, target, reason, placed_by, placed_at) "
                "VALUES ('hold-1', '1', 'recording', 'r-1', 'why', 'me', '2030-01-01 00:00:00')"
            )
        )
    command.downgrade(config, "0008")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT recording_id FROM recordings")).scalar_one() == "r-1"
    engine.dispose()


CALL = (
    "INSERT INTO calls (call_id, account_id, direction, state, start_time) "
    "VALUES ('c-1', :account, 'inbound', 'active', '2030-01-01 00:00:00')"
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0013_keeps_calls_and_makes_call_ids_unique_per_account(tmp_path: Path, backend: str) -> None:
    with _database(tmp_path, backend) as url:
        config = alembic_config(url)
        command.upgrade(config, "0012")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(CALL), {"account": "1"})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # before: unique across accounts
            conn.execute(text(CALL), {"account": "2"})
        command.upgrade(config, "0013")
        with engine.begin() as conn:
            conn.execute(text(CALL), {"account": "2"})
            assert conn.execute(text("SELECT count(*) FROM calls WHERE call_id = 'c-1'")).scalar_one() == 2
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(CALL), {"account": "2"})
        with engine.begin() as conn:  # going back needs ids unique across accounts again
            conn.execute(text("DELETE FROM calls WHERE account_id = '2'"))
        command.downgrade(config, "0012")
        engine.dispose()


@contextmanager
def _database(tmp_path: Path, backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    if postgres.server_url() is None:
        unavailable(postgres.why_not())
    with postgres.fresh_database() as url:
        yield url
