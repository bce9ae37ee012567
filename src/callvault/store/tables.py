"""SQLAlchemy Core tables. The schema itself is created by the Alembic migrations."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

from callvault.domain.timefmt import as_aware_utc, as_naive_utc


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (portable, sortable in SQLite); always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return as_aware_utc(value) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, a datetime straight to its stored text, in C (`isoformat`), without SQLAlchemy's
        `%`-formatting of seven fields after `process_bind_param`: the access log writes one per API
        request. The text is the one SQLite's DATETIME stores (`YYYY-MM-DD HH:MM:SS.ffffff`)."""
        if dialect.name == "sqlite":
            return _sqlite_text_of_utc(super().bind_processor(dialect))
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None] | None:
        """On SQLite, the stored text straight to an aware datetime (`fromisoformat`, in C), without
        SQLAlchemy's own text parser first: a list of 1,000 recordings reads thousands of times."""
        if dialect.name == "sqlite":
            return functools.partial(_utc_from_sqlite_text, dialect=dialect, slow=self.process_result_value)
        return super().result_processor(dialect, coltype)


def _sqlite_text_of_utc(slow: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The bind processor: a datetime (aware: in UTC) as stored text; anything else the `slow` way."""

    def process(value: Any) -> Any:
        if type(value) is not datetime:
            return slow(value) if slow is not None else value
        return as_naive_utc(value).isoformat(" ", "microseconds")

    return process


def _utc_from_sqlite_text(
    value: str | None, dialect: Dialect, slow: Callable[[Any, Dialect], datetime | None]
) -> datetime | None:
    """Naive UTC text parsed as UTC (7x cheaper than parsing it and then setting its tzinfo); text
    with its own offset goes the slow way."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:
        return slow(value, dialect)


metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

user_accounts = Table(
    "user_accounts",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("role", String(16), nullable=False, server_default="member"),  # domain.roles.Role
)

recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recording_id", String(128), nullable=False),  # unique within its account
    Column("account_id", String(128), nullable=False),
    Column("call_id", String(128), nullable=False),
    Column("application_id", String(128)),
    Column("parent_call_id", String(128)),
    Column("from_number", String(64)),
    Column("to_number", String(64)),
    Column("transfer_caller_id", String(64)),
    Column("transfer_to", String(64)),
    Column("direction", String(16)),
    Column("channels", Integer, nullable=False),
    Column("sample_rate", Integer),
    Column("start_time", UTCDateTime, nullable=False),
    Column("end_time", UTCDateTime),
    Column("duration_seconds", Float, nullable=False),
    Column("file_format", String(8), nullable=False),
    Column("status", String(32), nullable=False),
    Column("media_key", String(256)),
    Column("media_size", BigInteger),
    Column("media_sha256", String(64)),
    Column("recording_name", String(256)),
    Column("tag", Text),
    Column("source", JSON(none_as_null=True)),  # where the audio came from (see domain.sources); None: NULL
    # A redacted recording (services/redaction.py) names its redacted copy as media_key; these name the
    # original when the account keeps it (or a legal hold forbids removing it).
    Column("original_media_key", String(256)),
    Column("original_media_size", BigInteger),
    Column("original_media_sha256", String(64)),
    Column("redacted_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_recordings_account_start", "account_id", "start_time", "id"),
    Index("ix_recordings_account_from_start", "account_id", "from_number", "start_time"),
    Index("ix_recordings_account_to_start", "account_id", "to_number", "start_time"),
    Index("ix_recordings_account_from_to_start", "account_id", "from_number", "to_number", "start_time"),
    Index("ix_recordings_account_call", "account_id", "call_id", "start_time"),
    UniqueConstraint("account_id", "recording_id", name="uq_recordings_account_recording"),
)

transcriptions = Table(
    "transcriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", String(128), nullable=False),
    Column("recording_id", String(128), nullable=False),
    Column("transcription_id", String(128), nullable=False, unique=True),
    Column("status", String(32), nullable=False),
    Column("request", JSON, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("completed_time", UTCDateTime),
    Column("result", JSON),
    Column("language", String(16)),
    Column("error", Text),
    UniqueConstraint("account_id", "recording_id", name="uq_transcriptions_account_recording"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", UTCDateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Index("ix_jobs_claim", "state", "run_after"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("outcome", String(16), nullable=False),
    Index("ix_webhook_attempts_job", "job_id"),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", String(128), nullable=False),
    Column("account_id", String(128), nullable=False),
    Column("application_id", String(128)),
    Column("from_number", String(64)),
    Column("to_number", String(64)),
    Column("direction", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("answer_time", UTCDateTime),
    Column("end_time", UTCDateTime),
    Column("answer_url", Text),
    Column("answer_method", String(8)),
    Column("callback_username", String(1024)),
    Column("callback_password", String(1024)),
    Column("tag", Text),
    Column("recording", JSON),
    Column("recording_state", String(16)),
    Column("disconnect_cause", String(64)),
    Column("media_owner", String(128)),  # the process holding the call's media stream, if any
    Column("media_owner_seen_at", UTCDateTime),  # that process's last heartbeat
    Column("source", JSON(none_as_null=True)),  # a call recorded from outside: its recording's source
    Column("siprec_session_id", String(256)),  # a SIPREC call's recording session id (failover)
    Column("stream_id", String(256)),  # a CPaaS stream's id (Bandwidth streamId, Twilio streamSid)
    Index("ix_calls_account", "account_id", "start_time"),
    UniqueConstraint("account_id", "call_id", name="uq_calls_account_call"),
    Index("ix_calls_siprec_session", "account_id", "siprec_session_id"),
    Index("ix_calls_stream", "account_id", "stream_id"),
)

system_settings = Table(
    "system_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per timed clip of an available transcript: what transcript search indexes (SQLite FTS5 table
# transcript_clips_fts kept by triggers; PostgreSQL's generated search_vector column, GIN-indexed).
# Both are made by migration 0013 only, so they are not columns here.
transcript_clips = Table(
    "transcript_clips",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recording_id", String(128), nullable=False),
    Column("account_id", String(128), nullable=False),
    Column("transcription_id", String(128), nullable=False),
    Column("clip_index", Integer, nullable=False),
    Column("speaker", Integer, nullable=False),
    Column("start_seconds", Float, nullable=False),
    Column("end_seconds", Float, nullable=False),
    Column("language", String(16)),
    Column("text", Text, nullable=False),
    Index("ix_transcript_clips_recording", "account_id", "recording_id", "clip_index"),
)

waveform_peaks = Table(
    "waveform_peaks",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("recording_id", String(128), primary_key=True),
    Column("channels", Integer, nullable=False),
    Column("peaks_per_channel", Integer, nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("peaks", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

sip_sources = Table(
    "sip_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("account_id", String(128), nullable=False),
    Column("networks", JSON, nullable=False),  # CIDRs the SIPREC client may send from; [] for any
    Column("username", String(128), unique=True),  # digest credentials, if the source must log in
    Column("ha1", String(64)),  # MD5(username:realm:password)
    Column("created_at", UTCDateTime, nullable=False),
)

stream_tokens = Table(
    "stream_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("account_id", String(128), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

account_recording_settings = Table(
    "account_recording_settings",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("settings", JSON, nullable=False),  # domain.sources.AccountRecordingSettings fields
    Column("updated_at", UTCDateTime, nullable=False),
)

# A signed-in console session: the cookie carries the id, the row holds its sha256 (so the table alone
# cannot be replayed); deleting the row ends the session in every process.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("username", String(128), nullable=False),
    Column("password_fingerprint", String(64), nullable=False),  # a changed password ends the session
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_console_sessions_username", "username"),
    Index("ix_console_sessions_expires_at", "expires_at"),
)

media_keys = Table(
    "media_keys",
    metadata,
    Column("blob_key", String(512), primary_key=True),
    Column("master_key_id", String(16)),  # the master key that wraps it; NULL once sealed
    Column("master_wrapped", LargeBinary),
    Column("sealed_key_id", String(32)),  # the account public key it was sealed to (customer-held)
    Column("sealed_wrapped", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_media_keys_master_key_id", "master_key_id"),
)

account_public_keys = Table(
    "account_public_keys",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("public_key", Text, nullable=False),  # PEM SubjectPublicKeyInfo (RSA)
    Column("created_at", UTCDateTime, nullable=False),
)

api_credentials = Table(
    "api_credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("account_id", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", String(128)),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

# The access log: a hash chain (domain/audit.py). Rows are only ever inserted, in seq order, by an
# append that holds the single access_log_head row locked.
access_log = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("account_id", String(128)),
    Column("actor", String(128), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("address", String(64)),
    Column("action", String(32), nullable=False),
    Column("recording_id", String(128)),
    Column("call_id", String(128)),
    Column("detail", Text, nullable=False),  # canonical JSON, hashed as stored
    Column("result", String(32), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

access_log_head = Table(
    "access_log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

access_log_anchors = Table(
    "access_log_anchors",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_hash", String(64), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", String(128), nullable=False),
)

# Governance (docs/governance.md): legal holds, per-account policies, erasure receipts.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hold_id", String(64), nullable=False, unique=True),
    Column("account_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # recording | call | number (domain.governance.HOLD_KINDS)
    Column("target", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("placed_by", String(128), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime),
    Column("released_by", String(128)),
    Column("release_reason", Text),
    Index("ix_legal_holds_active", "account_id", "kind", "target", "released_at"),
)

account_policies = Table(
    "account_policies",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("name", String(32), primary_key=True),  # retention | redaction
    Column("settings", JSON, nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

erasure_receipts = Table(
    "erasure_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt_id", String(64), nullable=False, unique=True),
    Column("account_id", String(128), nullable=False),
    Column("number_sha256", String(64), nullable=False),  # the erased number itself is not kept
    Column("number_hint", String(16), nullable=False),  # its last digits, for people reading receipts
    Column("requested_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("receipt", JSON, nullable=False),
    Index("ix_erasure_receipts_account", "account_id", "created_at"),
)
