"""transcript_clips (full-text searchable, one row per timed clip) and waveform_peaks (cached peaks)

SQLite gets an FTS5 index over the clips' text kept in step by triggers; PostgreSQL gets a generated
``tsvector`` column built with the text search configuration of the transcript's language, and a GIN
index on it. Existing available transcripts are indexed by this migration.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:50:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# One row per language the PostgreSQL index knows; anything else is indexed with 'simple'.
_POSTGRES_CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def _postgres_config_expression() -> str:
    branches = " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in _POSTGRES_CONFIGS.items())
    return f"CASE language {branches} ELSE 'simple'::regconfig END"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    columns: list[Any] = [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("transcription_id", sa.String(length=128), nullable=False),
        sa.Column("clip_index", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.Integer(), nullable=False),
        sa.Column("start_seconds", sa.Float(), nullable=False),
        sa.Column("end_seconds", sa.Float(), nullable=False),
        sa.Column("language", sa.String(length=16)),
        sa.Column("text", sa.Text(), nullable=False),
    ]
    if dialect == "postgresql":
        columns.append(
            sa.Column(
                "search_vector",
                postgresql.TSVECTOR(),
                sa.Computed(f"to_tsvector({_postgres_config_expression()}, text)", persisted=True),
            )
        )
    op.create_table("transcript_clips", *columns)
    op.create_index(
        "ix_transcript_clips_recording", "transcript_clips", ["account_id", "recording_id", "clip_index"]
    )
    if dialect == "postgresql":
        op.create_index(
            "ix_transcript_clips_search",
            "transcript_clips",
            ["search_vector"],
            postgresql_using="gin",
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE transcript_clips_fts USING fts5(text, content='transcript_clips', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER transcript_clips_ai AFTER INSERT ON transcript_clips BEGIN "
            "INSERT INTO transcript_clips_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER transcript_clips_ad AFTER DELETE ON transcript_clips BEGIN "
            "INSERT INTO transcript_clips_fts(transcript_clips_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER transcript_clips_au AFTER UPDATE ON transcript_clips BEGIN "
            "INSERT INTO transcript_clips_fts(transcript_clips_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); "
            "INSERT INTO transcript_clips_fts(rowid, text) VALUES (new.id, new.text); END"
        )
    op.create_table(
        "waveform_peaks",
        sa.Column("account_id", sa.String(length=128), primary_key=True),
        sa.Column("recording_id", sa.String(length=128), primary_key=True),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("peaks_per_channel", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("peaks", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    _index_existing_transcripts()


def _index_existing_transcripts() -> None:
    bind = op.get_bind()
    transcriptions = sa.table(
        "transcriptions",
        sa.column("recording_id", sa.String),
        sa.column("transcription_id", sa.String),
        sa.column("status", sa.String),
        sa.column("language", sa.String),
        sa.column("result", sa.JSON),
    )
    recordings = sa.table(
        "recordings", sa.column("recording_id", sa.String), sa.column("account_id", sa.String)
    )
    clips = sa.table(
        "transcript_clips",
        *(
            sa.column(name)
            for name in (
                "recording_id",
                "account_id",
                "transcription_id",
                "clip_index",
                "speaker",
                "start_seconds",
                "end_seconds",
                "language",
                "text",
            )
        ),
    )
    query = sa.select(
        transcriptions.c.recording_id,
        transcriptions.c.transcription_id,
        transcriptions.c.language,
        transcriptions.c.result,
        recordings.c.account_id,
    ).join(recordings, recordings.c.recording_id == transcriptions.c.recording_id)
    for row in bind.execute(query.where(transcriptions.c.status == "available")):
        rows = [
            {
                "recording_id": row.recording_id,
                "account_id": row.account_id,
                "transcription_id": row.transcription_id,
                "clip_index": index,
                "speaker": int(clip.get("speaker", 0)),
                "start_seconds": float(clip.get("start", 0.0)),
                "end_seconds": float(clip.get("end", 0.0)),
                "language": row.language,
                "text": clip["text"],
            }
            for index, clip in enumerate((row.result or {}).get("clips", []))
            if clip.get("text", "").strip()
        ]
        if rows:
            bind.execute(sa.insert(clips), rows)


def downgrade() -> None:
    op.drop_table("waveform_peaks")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("transcript_clips_ai", "transcript_clips_ad", "transcript_clips_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS transcript_clips_fts")
    op.drop_table("transcript_clips")
