"""Plain records that the store returns and the services work with."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Role
from callvault.domain.timefmt import parse_iso_time

CallbackMethod = Literal["GET", "POST"]
FileFormat = Literal["wav", "mp3"]
RecordingState = Literal["recording", "paused"]
"""The state of a call's active recording (Bandwidth's ``recordingState``)."""
RECORDING_STATES: tuple[RecordingState, ...] = ("recording", "paused")


def recording_state_of(value: object) -> RecordingState:
    """`value` as a recording state; ValidationFailed for anything else."""
    for state in RECORDING_STATES:
        if value == state:
            return state
    raise ValidationFailed(f"Invalid recording state {str(value)[:40]!r}: must be 'paused' or 'recording'")


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
    source: dict[str, Any] | None = None
    """Where the audio came from when the call ran elsewhere (SIPREC, a CPaaS stream)."""
    original_media_key: str | None = None
    """A redacted recording's original audio, when kept (media_key names the redacted copy)."""
    original_media_size: int | None = None
    original_media_sha256: str | None = None
    redacted_at: datetime | None = None
    id: int | None = None

    @property
    def media_keys(self) -> list[str]:
        """Every blob this recording names (its media, and a redacted recording's kept original)."""
        return [key for key in (self.media_key, self.original_media_key) if key]


@dataclass(frozen=True)
class TranscriptionRequest:
    """What a transcription was asked for with: where and how to call back, and how to transcribe.

    Stored as JSON in the camelCase keys of Bandwidth's TranscribeRecording body, plus `baseUrl`
    (the prefix callback URLs are built on) and `callbackKind` (`request`: POST …/transcription;
    `recording`: `<StartRecording transcribe="true">`).
    """

    base_url: str
    callback_kind: Literal["request", "recording"] = "request"
    callback_url: str | None = None
    callback_method: CallbackMethod = "POST"
    username: str | None = None
    password: str | None = None
    tag: str | None = None
    callback_timeout: float | None = None
    detect_language: bool = False
    redact: bool | None = None
    """callvault extension: redact PII (true), don't (false), or as the account's policy says (None)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "redact": self.redact,
            "callbackUrl": self.callback_url,
            "callbackMethod": self.callback_method,
            "username": self.username,
            "password": self.password,
            "tag": self.tag,
            "callbackTimeout": self.callback_timeout,
            "detectLanguage": self.detect_language,
        }
        data = {key: value for key, value in data.items() if value is not None}
        data["baseUrl"] = self.base_url
        data["callbackKind"] = self.callback_kind
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TranscriptionRequest:
        timeout = data.get("callbackTimeout")
        return cls(
            base_url=str(data.get("baseUrl") or ""),
            callback_kind="recording" if data.get("callbackKind") == "recording" else "request",
            callback_url=data.get("callbackUrl"),
            callback_method="GET" if str(data.get("callbackMethod") or "POST").upper() == "GET" else "POST",
            username=data.get("username"),
            password=data.get("password"),
            tag=data.get("tag"),
            callback_timeout=float(timeout) if timeout is not None else None,
            detect_language=bool(data.get("detectLanguage")),
            redact=data.get("redact") if isinstance(data.get("redact"), bool) else None,
        )


@dataclass(frozen=True)
class TranscriptionState:
    """What a recording's metadata tells of its transcription, without the transcript: what the API's
    recording reads and lists (and the console's list) show, read without the transcript's JSON."""

    transcription_id: str
    status: str
    completed_time: datetime | None = None


@dataclass(frozen=True)
class Transcription:
    account_id: str
    recording_id: str
    transcription_id: str
    status: str
    request: TranscriptionRequest
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
    roles: Mapping[str, Role] = field(default_factory=dict)
    """Account id -> the user's role in it."""

    @property
    def accounts(self) -> frozenset[str]:
        return frozenset(self.roles)


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
    recording: ActiveRecording | None = None
    recording_state: RecordingState | None = None
    disconnect_cause: str | None = None
    source: dict[str, Any] | None = None
    """A call recorded from outside: where it comes from (its recording's ``source``)."""
    siprec_session_id: str | None = None
    stream_id: str | None = None


@dataclass(frozen=True)
class ActiveRecording:
    """A call's active recording, as `<StartRecording>` asked for it (the calls table keeps it as JSON)."""

    recording_id: str
    start_time: datetime
    base_url: str
    file_format: FileFormat = "wav"
    multi_channel: bool = False
    recording_available_url: str | None = None
    recording_available_method: CallbackMethod = "POST"
    username: str | None = None
    password: str | None = None
    tag: str | None = None
    transcribe: bool = False
    transcription_available_url: str | None = None
    transcription_available_method: CallbackMethod = "POST"
    detect_language: bool = False
    source: dict[str, Any] | None = None
    """Where the audio comes from when the call runs elsewhere (see ``domain.sources``)."""
    continues: dict[str, Any] | None = None
    """A SIPREC session that failed over: the stored recording this one goes on from (``mediaKey``,
    ``endTime``), joined to it with the gap as silence (``services.continued_recordings``)."""

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["start_time"] = self.start_time.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActiveRecording:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["start_time"] = parse_iso_time(str(data["start_time"]), "start_time")
        return cls(**values)


TranscriptionShown = Transcription | TranscriptionState
"""A transcription as a recording's metadata shows it: whole, or only its state."""
