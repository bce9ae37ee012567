"""The transcript search index: one row per clip of an available transcript, written in the transaction
that stores the transcript and removed in the one that deletes or supersedes it. The full-text side
(SQLite FTS5 triggers, PostgreSQL's generated tsvector) follows these rows inside the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert

from callvault.store.tables import transcript_clips


def index_clips(
    conn: Connection,
    *,
    recording_id: str,
    account_id: str,
    transcription_id: str,
    language: str | None,
    clips: list[dict[str, Any]],
) -> None:
    """Replace the recording's indexed clips with these (a transcript's `clips`)."""
    remove_clips(conn, account_id, recording_id)
    rows = [
        {
            "recording_id": recording_id,
            "account_id": account_id,
            "transcription_id": transcription_id,
            "clip_index": index,
            "speaker": int(clip.get("speaker", 0)),
            "start_seconds": float(clip.get("start", 0.0)),
            "end_seconds": float(clip.get("end", 0.0)),
            "language": language,
            "text": str(clip.get("text", "")).strip(),
        }
        for index, clip in enumerate(clips)
    ]
    rows = [row for row in rows if row["text"]]
    if rows:
        conn.execute(insert(transcript_clips), rows)


def remove_clips(conn: Connection, account_id: str, recording_id: str) -> None:
    conn.execute(
        delete(transcript_clips).where(
            transcript_clips.c.account_id == account_id, transcript_clips.c.recording_id == recording_id
        )
    )
