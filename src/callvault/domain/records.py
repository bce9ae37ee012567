"""Plain records that the store returns and the services work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Recording:
    recording_id: str
    account_id: str
    call_id: str
    channels: int
    start_time: datetime
    duration_seconds: float
    file_format: str
    status: str
    created_at: datetime
    application_id: str | None = None
    parent_call_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    transfer_caller_id: str | None = None
    transfer_to: str | None = None
    direction: str | None = None
    sample_rate: int | None = None
    end_time: datetime | None = None
    media_key: str | None = None
    media_size: int | None = None
    media_sha256: str | None = None
    recording_name: str | None = None
    tag: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Transcription:
    recording_id: str
    transcription_id: str
    status: str
    request: dict[str, Any]
    requested_at: datetime
    completed_time: datetime | None = None
    result: dict[str, Any] | None = None
    language: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class User:
    id: int
    name: str
    password_hash: str
    accounts: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Call:
    call_id: str
    account_id: str
    direction: str
    state: str
    start_time: datetime
    application_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    answer_time: datetime | None = None
    end_time: datetime | None = None
    answer_url: str | None = None
    answer_method: str | None = None
    callback_username: str | None = None
    callback_password: str | None = None
    tag: str | None = None
    recording: dict[str, Any] | None = None
    recording_state: str | None = None
    disconnect_cause: str | None = None
