"""A call's active recording as the calls table stores it, and how a recording can end."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from callvault.calls.bxml import StartRecording
from callvault.domain.errors import NotFound
from callvault.domain.timefmt import parse_iso_time

Outcome = Literal["complete", "broken", "no-media"]
"""How a recording ended: normally; its stream broke off; no stream ever carried its media."""


class CallNotActive(NotFound):
    """The call does not exist, or it has ended."""


@dataclass(frozen=True)
class ActiveRecording:
    """A call's active recording as the calls table stores it (`calls.recording`, JSON)."""

    recording_id: str
    start_time: datetime
    base_url: str
    file_format: Literal["wav", "mp3"] = "wav"
    multi_channel: bool = False
    recording_available_url: str | None = None
    recording_available_method: str = "POST"
    username: str | None = None
    password: str | None = None
    tag: str | None = None
    transcribe: bool = False
    transcription_available_url: str | None = None
    transcription_available_method: str = "POST"
    detect_language: bool = False

    @classmethod
    def from_verb(
        cls, verb: StartRecording, *, recording_id: str, start_time: datetime, base_url: str
    ) -> ActiveRecording:
        return cls(
            recording_id=recording_id,
            start_time=start_time,
            base_url=base_url,
            file_format=verb.file_format,
            multi_channel=verb.multi_channel,
            recording_available_url=verb.recording_available_url,
            recording_available_method=verb.recording_available_method,
            username=verb.username,
            password=verb.password,
            tag=verb.tag,
            transcribe=verb.transcribe,
            transcription_available_url=verb.transcription_available_url,
            transcription_available_method=verb.transcription_available_method,
            detect_language=verb.detect_language,
        )

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
