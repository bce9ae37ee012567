"""Domain records -> wire models of the `bandwidth` client (the single source of the wire format)."""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from bandwidth.models import (
    CallbackMethodEnum,
    CallRecordingMetadata,
    CallState,
    CreateCallResponse,
    RecordingTranscriptionClip,
    RecordingTranscriptionMetadata,
    RecordingTranscriptions,
)
from bandwidth.models import (
    Transcription as WireTranscript,
)
from bandwidth.models._wire import Derived
from callvault.domain.governance import ErasureReceipt, LegalHold
from callvault.domain.records import Call, Recording, TranscriptionShown
from callvault.domain.search import TranscriptHit, snippet_html
from callvault.domain.timefmt import format_iso_duration, format_iso_time, utcnow
from callvault.domain.waveform import WaveformPeaks


def _path_of(recording: Recording) -> tuple[str, str, str]:
    return recording.account_id, recording.call_id, recording.recording_id


def recording_path(recording: Recording) -> str:
    return _recording_path_of(*_path_of(recording))


def _recording_path_of(account_id: str, call_id: str, recording_id: str) -> str:
    return f"accounts/{account_id}/calls/{call_id}/recordings/{recording_id}"


def media_url(base_url: str, recording: Recording) -> str | None:
    return _media_url_of(base_url.rstrip("/"), *_path_of(recording), recording.media_key)


def transcription_url(base_url: str, recording: Recording) -> str:
    return _transcription_url_of(base_url.rstrip("/"), *_path_of(recording))


def _transcription_url_of(base: str, account_id: str, call_id: str, recording_id: str) -> str:
    return f"{base}/{_recording_path_of(account_id, call_id, recording_id)}/transcription"


def _media_url_of(
    base: str, account_id: str, call_id: str, recording_id: str, media_key: str | None
) -> str | None:
    """The media's URL under `base` (no trailing slash); None once the media is deleted."""
    if media_key is None:
        return None
    return f"{base}/{_recording_path_of(account_id, call_id, recording_id)}/media"


def call_url(base_url: str, account_id: str, call_id: str) -> str:
    return f"{base_url.rstrip('/')}/accounts/{account_id}/calls/{call_id}"


def recording_event_fields(base_url: str, recording: Recording) -> dict[str, Any]:
    """The fields a recording's webhooks (recordingAvailable, transcriptionAvailable) share."""
    return {
        "event_time": utcnow(),
        "account_id": recording.account_id,
        "application_id": recording.application_id,
        "from_": recording.from_number,
        "to": recording.to_number,
        "direction": recording.direction,
        "call_id": recording.call_id,
        "call_url": call_url(base_url, recording.account_id, recording.call_id),
        "media_url": media_url(base_url, recording),
        "parent_call_id": recording.parent_call_id,
        "recording_id": recording.recording_id,
        "start_time": recording.start_time,
        "end_time": recording.end_time,
        "duration": recording.duration_seconds,
        "file_format": recording.file_format,
        "transfer_caller_id": recording.transfer_caller_id,
        "transfer_to": recording.transfer_to,
    }


RECORDING_WIRE_COLUMNS = (
    "application_id",
    "account_id",
    "call_id",
    "parent_call_id",
    "recording_id",
    "to_number",
    "from_number",
    "transfer_caller_id",
    "transfer_to",
    "duration_seconds",
    "direction",
    "channels",
    "start_time",
    "end_time",
    "file_format",
    "status",
    "media_key",
    "recording_name",
    "source",
)
"""What a recording's wire JSON is made of: these columns of its row (Recording's attributes of the same
names), then its transcription's id, status and completed time (None when it has none): a wire row."""
_AT = {name: position for position, name in enumerate(RECORDING_WIRE_COLUMNS)}
_STATE_AT = len(RECORDING_WIRE_COLUMNS)
_SOURCE_AT = _AT["source"]
_PATH_AT = (_AT["account_id"], _AT["call_id"], _AT["recording_id"])
_NO_TRANSCRIPTION = (None, None, None)
_wire_row_of = operator.attrgetter(*RECORDING_WIRE_COLUMNS)

_TRANSCRIPTION_WRITER = RecordingTranscriptionMetadata.wire_row_writer(
    {"id": 0, "status": 1, "completed_time": 2, "url": 3}
)


def _transcription_wire(
    base: str,
    account_id: str,
    call_id: str,
    recording_id: str,
    transcription_id: str | None,
    status: str | None,
    completed_time: datetime | str | None,
) -> dict[str, Any] | None:
    if transcription_id is None:
        return None
    url = _transcription_url_of(base, account_id, call_id, recording_id)
    return _TRANSCRIPTION_WRITER((transcription_id, status, completed_time, url), None)


_RECORDING_WRITER = CallRecordingMetadata.wire_row_writer(
    {
        "application_id": _AT["application_id"],
        "account_id": _AT["account_id"],
        "call_id": _AT["call_id"],
        "parent_call_id": _AT["parent_call_id"],
        "recording_id": _AT["recording_id"],
        "to": _AT["to_number"],
        "var_from": _AT["from_number"],
        "transfer_caller_id": _AT["transfer_caller_id"],
        "transfer_to": _AT["transfer_to"],
        "duration": Derived(format_iso_duration, (_AT["duration_seconds"],)),
        "direction": _AT["direction"],
        "channels": _AT["channels"],
        "start_time": _AT["start_time"],
        "end_time": _AT["end_time"],
        "file_format": _AT["file_format"],
        "status": _AT["status"],
        "media_url": Derived(_media_url_of, (*_PATH_AT, _AT["media_key"]), with_context=True),
        "recording_name": _AT["recording_name"],
        "transcription": Derived(
            _transcription_wire, (*_PATH_AT, _STATE_AT, _STATE_AT + 1, _STATE_AT + 2), with_context=True
        ),
    }
)
"""A wire row -> the CallRecordingMetadata wire JSON (the model's own wire rules, without building a
model per recording: a list of 1,000 recordings feels every microsecond of a row)."""


def recording_json(
    base_url: str, recording: Recording, transcription: TranscriptionShown | None
) -> dict[str, Any]:
    """The CallRecordingMetadata wire JSON of a recording and its transcription's state."""
    state = (
        (transcription.transcription_id, transcription.status, transcription.completed_time)
        if transcription is not None
        else _NO_TRANSCRIPTION
    )
    return _wire_of_row(base_url.rstrip("/"), _wire_row_of(recording) + state)


def recording_row_json(base_url: str, row: Sequence[Any]) -> dict[str, Any]:
    """The wire JSON of one wire row, like `recording_rows_json`."""
    return _wire_of_row(base_url.rstrip("/"), row)


def recording_rows_json(base_url: str, rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The wire JSON of wire rows (`RECORDING_WIRE_COLUMNS`) as a database gives them: times as
    datetimes or as the database's text, the source as JSON text or already decoded."""
    base = base_url.rstrip("/")
    return [_wire_of_row(base, row) for row in rows]


def _wire_of_row(base: str, row: Sequence[Any]) -> dict[str, Any]:
    wire = _RECORDING_WRITER(row, base)
    source = row[_SOURCE_AT]
    if source is not None:
        if isinstance(source, str):
            source = _decoded_json(source)
        if source:
            wire["source"] = source  # callvault's addition: where a real call's recording came from
    return wire


def _decoded_json(text: str) -> Any:
    """Stored JSON text (written by `json.dumps`: orjson reads all of it but NaN and Infinity, 4x faster)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def transcriptions_json(result: dict[str, Any]) -> dict[str, Any]:
    """The stored engine result -> RecordingTranscriptions wire JSON."""
    model = RecordingTranscriptions(
        transcripts=[
            WireTranscript(speaker=index, text=t["text"], confidence=t["confidence"])
            for index, t in enumerate(result.get("transcripts", []))
        ],
        clips=[
            RecordingTranscriptionClip(
                speaker=c["speaker"],
                text=c["text"],
                confidence=c["confidence"],
                start_time_seconds=c["start"],
                end_time_seconds=c["end"],
            )
            for c in result.get("clips", [])
        ],
    )
    return model.to_wire()


def _answer_method(call: Call) -> CallbackMethodEnum | None:
    if not call.answer_url or not call.answer_method:
        return None
    return CallbackMethodEnum(call.answer_method)


def create_call_json(base: str, call: Call) -> dict[str, Any]:
    """Bandwidth's CreateCallResponse, plus direction, state and startTime."""
    fields: dict[str, Any] = dict(
        application_id=call.application_id,
        account_id=call.account_id,
        call_id=call.call_id,
        to=call.to_number,
        var_from=call.from_number,
        call_url=call_url(base, call.account_id, call.call_id),
        tag=call.tag,
        answer_method=_answer_method(call),
        answer_url=call.answer_url,
        answer_fallback_method=None,
        disconnect_method=None,
        username=call.callback_username,
        additional_properties={  # callvault's additions
            "direction": call.direction,
            "state": "active",
            "startTime": format_iso_time(call.start_time),
        },
    )
    # constructed, not validated: answerUrl is optional in callvault (no answer webhook without it)
    response = CreateCallResponse.model_construct(**fields)
    return response.to_wire()


def call_state_json(call: Call) -> dict[str, Any]:
    """Bandwidth's CallState (state `answered` or `disconnected`), plus callvault's recording fields."""
    extras: dict[str, Any] = {}
    if call.recording is not None:
        extras["recordingId"] = call.recording.recording_id
        extras["recordingState"] = call.recording_state
    if call.source is not None:
        extras["source"] = call.source
    return CallState(
        application_id=call.application_id,
        account_id=call.account_id,
        call_id=call.call_id,
        to=call.to_number,
        var_from=call.from_number,
        direction=call.direction,
        state="answered" if call.state == "active" else "disconnected",
        start_time=call.start_time,
        answer_time=call.answer_time,
        end_time=call.end_time,
        disconnect_cause=call.disconnect_cause,
        additional_properties=extras,
    ).to_wire()


def search_hit_json(
    base_url: str, hit: TranscriptHit, transcription: TranscriptionShown | None
) -> dict[str, Any]:
    """A search result: the recording's usual CallRecordingMetadata plus callvault's `searchMatch`
    (the best clip: channel 1-based, its times in seconds, the snippet as HTML with <mark> hits)."""
    body = recording_json(base_url, hit.recording, transcription)
    body["searchMatch"] = {
        "score": round(hit.score, 6),
        "channel": hit.speaker + 1,
        "clipStartTime": round(hit.clip_start, 3),
        "clipEndTime": round(hit.clip_end, 3),
        "snippet": snippet_html(hit.snippet),
        "matchingClips": hit.matching_clips,
    }
    return body


def peaks_json(peaks: WaveformPeaks) -> dict[str, Any]:
    """Waveform peaks: one list per channel of 0..1 levels over `duration` seconds."""
    return {"channels": peaks.channels, "duration": peaks.duration_seconds, "peaks": peaks.as_fractions()}


def legal_hold_json(hold: LegalHold) -> dict[str, Any]:
    """callvault extension: a legal hold as `/accounts/{a}/legalHolds` answers it."""
    return {
        "holdId": hold.hold_id,
        "accountId": hold.account_id,
        "type": hold.kind,
        "target": hold.target,
        "reason": hold.reason,
        "placedBy": hold.placed_by,
        "placedTime": format_iso_time(hold.placed_at),
        "active": hold.active,
        "releasedBy": hold.released_by,
        "releasedTime": format_iso_time(hold.released_at) if hold.released_at else None,
        "releaseReason": hold.release_reason,
    }


def erasure_receipt_json(receipt: ErasureReceipt) -> dict[str, Any]:
    """callvault extension: an erasure's receipt (the number only as its last digits)."""
    return {
        "receiptId": receipt.receipt_id,
        "accountId": receipt.account_id,
        "number": receipt.number_hint,
        "requestedBy": receipt.requested_by,
        "time": format_iso_time(receipt.created_at),
        "recordingsErased": len(receipt.erased),
        "mediaRemoved": receipt.media_removed,
        "transcriptsRemoved": receipt.transcripts_removed,
        "recordingsHeld": len(receipt.held),
        "erasedRecordingIds": receipt.erased,
        "held": [{"recordingId": rid, "holdIds": holds} for rid, holds in receipt.held.items()],
    }
