"""Bodies of the webhooks callvault sends, as JSON-ready dicts in the wire format.

Pure functions of plain keyword data: no database rows, no I/O. Each body is built through the
client's wire model (``bandwidth.models``) and written with its ``to_wire()``, so the keys follow
the callback schemas of recordings-openapi.yml, in their order, and a value that is None is left
out. Times are written as UTC with milliseconds (``2022-06-17T22:19:40.375Z``); a naive datetime
is taken as UTC. A duration is either an ISO-8601 string (``PT13.67S``) or a number of seconds.
The models validate: an unknown ``direction`` or ``file_format`` raises pydantic's ValidationError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bandwidth.models import (
    AnswerCallback,
    RecordingAvailableCallback,
    RecordingTranscriptionMetadata,
    Transcription,
    TranscriptionAvailableCallback,
)
from callvault.domain.timefmt import format_iso_duration

__all__ = ["answer", "recording_available", "transcription_available"]

Direction = Literal["inbound", "outbound"]


def recording_available(
    *,
    event_time: datetime,
    account_id: str,
    application_id: str | None,
    from_: str | None,
    to: str | None,
    direction: str | None,
    call_id: str,
    call_url: str,
    recording_id: str,
    parent_call_id: str | None = None,
    media_url: str | None = None,
    enqueued_time: datetime | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    duration: str | float | None = None,
    file_format: str | None = None,
    channels: int | None = None,
    tag: str | None = None,
    status: str | None = None,
    transfer_caller_id: str | None = None,
    transfer_to: str | None = None,
) -> dict[str, Any]:
    """The ``recordingAvailable`` event: a recording has been processed and may be downloaded."""
    return RecordingAvailableCallback(
        event_type="recordingAvailable",
        event_time=event_time,
        account_id=account_id,
        application_id=application_id,
        var_from=from_,
        to=to,
        direction=direction,
        call_id=call_id,
        call_url=call_url,
        parent_call_id=parent_call_id,
        recording_id=recording_id,
        media_url=media_url,
        enqueued_time=enqueued_time,
        start_time=start_time,
        end_time=end_time,
        duration=_duration(duration),
        file_format=file_format,
        channels=channels,
        tag=tag,
        status=status,
        transfer_caller_id=transfer_caller_id,
        transfer_to=transfer_to,
    ).to_wire()


def transcription_available(
    *,
    event_time: datetime,
    account_id: str,
    application_id: str | None,
    from_: str | None,
    to: str | None,
    direction: str | None,
    call_id: str,
    call_url: str,
    recording_id: str,
    media_url: str | None = None,
    parent_call_id: str | None = None,
    enqueued_time: datetime | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    duration: str | float | None = None,
    file_format: str | None = None,
    tag: str | None = None,
    transcription_id: str | None = None,
    transcription_status: str | None = None,
    transcription_completed_time: datetime | None = None,
    transcription_url: str | None = None,
    transfer_caller_id: str | None = None,
    transfer_to: str | None = None,
) -> dict[str, Any]:
    """The ``transcriptionAvailable`` event: a recording's transcription may be downloaded.

    ``transcription`` is ``{id, status, completedTime, url}`` as Bandwidth sends it; it is left out
    when all four are None.
    """
    return TranscriptionAvailableCallback(
        event_type="transcriptionAvailable",
        event_time=event_time,
        account_id=account_id,
        application_id=application_id,
        var_from=from_,
        to=to,
        direction=direction,
        call_id=call_id,
        call_url=call_url,
        media_url=media_url,
        parent_call_id=parent_call_id,
        recording_id=recording_id,
        enqueued_time=enqueued_time,
        start_time=start_time,
        end_time=end_time,
        duration=_duration(duration),
        file_format=file_format,
        tag=tag,
        transcription=_transcription(
            transcription_id, transcription_status, transcription_completed_time, transcription_url
        ),
        transfer_caller_id=transfer_caller_id,
        transfer_to=transfer_to,
    ).to_wire()


def answer(
    *,
    event_time: datetime,
    account_id: str,
    application_id: str | None,
    from_: str | None,
    to: str | None,
    direction: str | None,
    call_id: str,
    call_url: str,
    enqueued_time: datetime | None = None,
    start_time: datetime | None = None,
    answer_time: datetime | None = None,
    tag: str | None = None,
) -> dict[str, Any]:
    """The ``answer`` event: the call was answered; the reply to this webhook is BXML."""
    return AnswerCallback(
        event_type="answer",
        event_time=event_time,
        account_id=account_id,
        application_id=application_id,
        var_from=from_,
        to=to,
        direction=direction,
        call_id=call_id,
        call_url=call_url,
        enqueued_time=enqueued_time,
        start_time=start_time,
        answer_time=answer_time,
        tag=tag,
    ).to_wire()


def _transcription(
    transcription_id: str | None, status: str | None, completed_time: datetime | None, url: str | None
) -> Transcription | None:
    """The ``transcription`` member as Bandwidth's webhook carries it: ``{id, status, completedTime, url}``.

    The reference document types this member as ``transcription`` (speaker, text, confidence), while
    the webhook really carries the transcription's metadata. Those keys are not fields of the
    ``Transcription`` model, so they ride in its ``additional_properties``, which ``to_wire()`` writes
    back out as they are (the same way the official SDK keeps keys it does not know).
    """
    metadata = RecordingTranscriptionMetadata(
        id=transcription_id, status=status, completed_time=completed_time, url=url
    ).to_wire()
    return Transcription.from_dict(metadata) if metadata else None


def _duration(value: str | float | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_iso_duration(float(value))
