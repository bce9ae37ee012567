"""The wire models: aliases, round trips, the wire datetime format, enums, constraints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import bandwidth
from bandwidth.models import (
    CallDirectionEnum,
    CallRecordingMetadata,
    CallState,
    CreateCall,
    CreateCallResponse,
    FileFormatEnum,
    RecordingAvailableCallback,
    RecordingStateEnum,
    RecordingTranscriptionClip,
    RecordingTranscriptionMetadata,
    RecordingTranscriptions,
    TranscribeRecording,
    TranscriptionAvailableCallback,
    UpdateCallRecording,
    VoiceApiError,
)
from bandwidth.models._wire import Derived, format_wire_datetime, wire_datetime

METADATA_WIRE = {
    "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
    "accountId": "9900000",
    "callId": "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85",
    "parentCallId": "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
    "recordingId": "r-fbe05094-9fd2afe9-bf5b-4c68-820a-41a01c1c5833",
    "to": "+15555555555",
    "from": "+15555555556",
    "transferCallerId": "+15555555557",
    "transferTo": "+15555555558",
    "duration": "PT13.67S",
    "direction": "inbound",
    "channels": 1,
    "startTime": "2022-06-17T22:19:40.375Z",
    "endTime": "2022-06-17T22:20:00.000Z",
    "fileFormat": "wav",
    "status": "complete",
    "mediaUrl": "https://voice.example/api/v2/accounts/9900000/calls/c-1/recordings/r-1/media",
    "transcription": {
        "id": "t-387bd648-18f3-4823-9d16-746bca0003c9",
        "status": "available",
        "completedTime": "2022-06-13T18:46:29.715Z",
        "url": "https://voice.example/api/v2/accounts/9900000/calls/c-1/recordings/r-1/transcription",
    },
    "recordingName": "my-recording-name",
}


def test_metadata_round_trips_through_the_wire_form_unchanged() -> None:
    model = CallRecordingMetadata.from_dict(METADATA_WIRE)

    assert model is not None
    assert model.to_wire() == METADATA_WIRE
    assert json.loads(model.to_json()) == METADATA_WIRE
    assert CallRecordingMetadata.from_json(model.to_json()) == model


def test_metadata_fields_use_snake_case_names_and_typed_values() -> None:
    model = CallRecordingMetadata.from_dict(METADATA_WIRE)

    assert model is not None
    assert model.var_from == "+15555555556"
    assert model.direction is CallDirectionEnum.INBOUND
    assert model.file_format is FileFormatEnum.WAV
    assert model.start_time == datetime(2022, 6, 17, 22, 19, 40, 375000, tzinfo=UTC)
    assert model.transcription is not None
    assert model.transcription.completed_time == datetime(2022, 6, 13, 18, 46, 29, 715000, tzinfo=UTC)


def test_models_accept_field_names_and_aliases() -> None:
    by_name = CallRecordingMetadata(call_id="c-1", var_from="+1", file_format=FileFormatEnum.MP3)
    by_alias = CallRecordingMetadata.model_validate({"callId": "c-1", "from": "+1", "fileFormat": "mp3"})

    assert by_name == by_alias
    assert by_name.to_wire() == {"callId": "c-1", "from": "+1", "fileFormat": "mp3"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2022, 6, 17, 22, 19, 40, 375123, tzinfo=UTC), "2022-06-17T22:19:40.375Z"),
        (datetime(2022, 6, 17, 22, 19, 40, tzinfo=UTC), "2022-06-17T22:19:40.000Z"),
        (
            datetime(2022, 6, 18, 0, 19, 40, 999999, tzinfo=timezone(timedelta(hours=2))),
            "2022-06-17T22:19:40.999Z",
        ),
        (datetime(2022, 6, 17, 22, 19, 40, 5000), "2022-06-17T22:19:40.005Z"),  # naive is taken as UTC
        (datetime(2022, 6, 17, 22, 19, 40, 999, tzinfo=UTC), "2022-06-17T22:19:40.000Z"),  # truncated
        (datetime(999, 1, 2, 3, 4, 5, 6789, tzinfo=UTC), "999-01-02T03:04:05.006Z"),
    ],
)
def test_wire_datetimes_are_utc_with_milliseconds(value: datetime, expected: str) -> None:
    model = RecordingAvailableCallback(event_time=value, start_time=value)

    assert model.to_wire()["eventTime"] == expected
    assert json.loads(model.to_json())["startTime"] == expected
    assert RecordingAvailableCallback.wire_from_fields(event_time=value)["eventTime"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-17T22:19:40.375Z",
        "2022-06-17T22:19:40.375+00:00",
        "2022-06-17T22:19:40.375000Z",
        "2022-06-18T00:19:40.375+02:00",
        "2022-06-17T18:19:40.375-0400",
        "20220617T221940.375Z",
        "2022-06-17 22:19:40.375Z",
    ],
)
def test_parsing_accepts_any_iso8601_form(text: str) -> None:
    model = CallRecordingMetadata.from_dict({"startTime": text})

    assert model is not None
    assert model.start_time == datetime(2022, 6, 17, 22, 19, 40, 375000, tzinfo=UTC)
    assert model.to_wire() == {"startTime": "2022-06-17T22:19:40.375Z"}


def test_unparseable_datetime_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="startTime"):
        CallRecordingMetadata.from_dict({"startTime": "yesterday at noon"})


def test_to_dict_keeps_python_values_like_the_official_sdk() -> None:
    model = CallRecordingMetadata.from_dict(METADATA_WIRE)

    assert model is not None
    as_dict = model.to_dict()
    assert as_dict["startTime"] == datetime(2022, 6, 17, 22, 19, 40, 375000, tzinfo=UTC)
    assert as_dict["direction"] is CallDirectionEnum.INBOUND
    assert as_dict["transcription"]["id"] == "t-387bd648-18f3-4823-9d16-746bca0003c9"


def test_explicit_null_of_a_nullable_field_shows_in_to_dict_but_not_on_the_wire() -> None:
    model = CallRecordingMetadata(call_id="c-1", media_url=None, transcription=None)

    assert model.to_dict() == {"callId": "c-1", "mediaUrl": None, "transcription": None}
    assert model.to_wire() == {"callId": "c-1"}
    assert CallRecordingMetadata(call_id="c-1").to_dict() == {"callId": "c-1"}


def test_unknown_keys_are_kept_at_every_level_and_written_back() -> None:
    wire = {"callId": "c-1", "future": {"x": 1}, "transcription": {"id": "t-1", "engine": "whisper"}}
    model = CallRecordingMetadata.from_dict(wire)

    assert model is not None
    assert model.additional_properties == {"future": {"x": 1}}
    assert model.transcription is not None
    assert model.transcription.additional_properties == {"engine": "whisper"}
    assert model.to_wire() == wire
    assert model.to_dict() == wire


def test_to_str_is_a_readable_alias_keyed_dump() -> None:
    text = CallRecordingMetadata(call_id="c-1", var_from="+1").to_str()

    assert "'callId': 'c-1'" in text
    assert "'from': '+1'" in text


def test_recording_transcriptions_round_trip_with_clips() -> None:
    wire = {
        "transcripts": [{"speaker": 0, "text": "Hi there", "confidence": 0.96}],
        "clips": [
            {"speaker": 0, "text": "Hi", "confidence": 0.97, "startTimeSeconds": 0.4, "endTimeSeconds": 3.1},
            {"speaker": 1, "text": "Yes", "confidence": 1, "startTimeSeconds": 3, "endTimeSeconds": 6.2},
        ],
    }
    model = RecordingTranscriptions.from_json(json.dumps(wire))

    assert model is not None
    assert model.clips is not None and model.clips[1].start_time_seconds == 3
    assert model.to_wire() == wire


def test_clip_confidence_must_be_between_zero_and_one() -> None:
    with pytest.raises(ValidationError):
        RecordingTranscriptionClip(confidence=1.2)
    with pytest.raises(ValidationError):
        RecordingTranscriptionClip(confidence=-0.1)


def test_transcribe_recording_defaults_match_the_spec() -> None:
    assert TranscribeRecording().to_wire() == {
        "callbackMethod": "POST",
        "callbackTimeout": 15,
        "detectLanguage": False,
    }


@pytest.mark.parametrize("timeout", [0.5, 25.5, 0, 26])
def test_transcribe_recording_callback_timeout_is_bounded(timeout: float) -> None:
    with pytest.raises(ValidationError, match="callbackTimeout|callback_timeout"):
        TranscribeRecording(callback_timeout=timeout)


@pytest.mark.parametrize("timeout", [1, 5.5, 25])
def test_transcribe_recording_callback_timeout_accepts_the_bounds(timeout: float) -> None:
    assert TranscribeRecording(callback_timeout=timeout).to_wire()["callbackTimeout"] == timeout


def test_transcribe_recording_credentials_are_at_most_1024_characters() -> None:
    assert TranscribeRecording(username="u" * 1024, password="p" * 1024).username == "u" * 1024
    with pytest.raises(ValidationError):
        TranscribeRecording(username="u" * 1025)
    with pytest.raises(ValidationError):
        TranscribeRecording(password="p" * 1025)


def test_transcribe_recording_is_validated_on_assignment() -> None:
    request = TranscribeRecording()
    with pytest.raises(ValidationError):
        request.callback_timeout = 30


def test_update_call_recording_requires_a_state() -> None:
    with pytest.raises(ValidationError, match="state"):
        UpdateCallRecording()  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        UpdateCallRecording.from_dict({"state": "stopped"})


def test_update_call_recording_serialises_the_enum_value() -> None:
    body = UpdateCallRecording(state=RecordingStateEnum.PAUSED)

    assert body.to_wire() == {"state": "paused"}
    assert body.to_json() == '{"state": "paused"}'
    assert UpdateCallRecording.from_json('{"state": "recording"}') == UpdateCallRecording(state="recording")


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (bandwidth.RecordingStateEnum, ["paused", "recording"]),
        (bandwidth.CallDirectionEnum, ["inbound", "outbound"]),
        (bandwidth.FileFormatEnum, ["mp3", "wav"]),
        (bandwidth.CallbackMethodEnum, ["GET", "POST"]),
        (bandwidth.CallStateEnum, ["active", "completed"]),
    ],
)
def test_enums_are_str_enums_with_the_spec_values(enum: type[Enum], values: list[str]) -> None:
    assert [member.value for member in enum] == values
    assert issubclass(enum, str)
    first = enum(values[0])
    assert first == values[0]
    assert enum.from_json(json.dumps(values[0])) is first  # type: ignore[attr-defined]
    assert first.to_wire() == values[0]  # type: ignore[attr-defined]


def test_unknown_enum_value_is_rejected() -> None:
    with pytest.raises(ValidationError):
        CallRecordingMetadata.from_dict({"fileFormat": "ogg"})


def test_voice_api_error_parses_the_error_envelope() -> None:
    error = VoiceApiError.from_json('{"type": "not-found", "description": "Recording not found", "id": null}')

    assert error is not None
    assert (error.type, error.description, error.id) == ("not-found", "Recording not found", None)
    assert error.to_wire() == {"type": "not-found", "description": "Recording not found"}


def test_transcription_available_callback_nests_the_transcription() -> None:
    wire = {
        "eventType": "transcriptionAvailable",
        "eventTime": "2022-06-17T22:19:40.375Z",
        "callId": "c-1",
        "recordingId": "r-1",
        "transcription": {"speaker": 0, "text": "hello", "confidence": 0.9},
    }
    callback = TranscriptionAvailableCallback.from_dict(wire)

    assert callback is not None
    assert callback.transcription is not None and callback.transcription.text == "hello"
    assert callback.to_wire() == wire


def test_live_call_models_keep_required_fields_and_defaults() -> None:
    call = CreateCall(
        to="+15555550100", var_from="+15555550101", application_id="app", answer_url="https://a/b"
    )

    assert call.to_wire() == {
        "to": "+15555550100",
        "from": "+15555550101",
        "applicationId": "app",
        "answerUrl": "https://a/b",
        "answerMethod": "POST",
        "answerFallbackMethod": "POST",
        "disconnectMethod": "POST",
        "callTimeout": 30,
        "callbackTimeout": 15,
        "priority": 5,
    }
    with pytest.raises(ValidationError):
        CreateCall(to="+1", var_from="+2", application_id="app")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        CreateCallResponse.from_dict({"callId": "c-1"})


def test_call_state_round_trips() -> None:
    wire = {
        "callId": "c-1",
        "state": "answered",
        "direction": "outbound",
        "stirShaken": {"verstat": "TN-Validation-Passed"},
        "answerTime": "2022-06-17T22:20:00.000Z",
        "lastUpdate": "2022-06-17T22:20:01.250Z",
    }
    state = CallState.from_dict(wire)

    assert state is not None
    assert state.to_wire() == wire


def test_every_model_is_exported_from_the_package_and_its_own_module() -> None:
    import importlib
    import re

    for name in bandwidth.models.__all__:
        module_name = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        module = importlib.import_module(f"bandwidth.models.{module_name}")
        assert getattr(module, name) is getattr(bandwidth, name) is getattr(bandwidth.models, name)


FULL_RECORDING_FIELDS = {
    "application_id": "app-1",
    "account_id": "9900000",
    "call_id": "c-1",
    "parent_call_id": "c-0",
    "recording_id": "r-1",
    "to": "+19195554321",
    "var_from": "+19195551234",
    "transfer_caller_id": "+19195550000",
    "transfer_to": "+19195559999",
    "duration": "PT1M15.25S",
    "direction": "outbound",
    "channels": 2,
    "start_time": datetime(2022, 6, 17, 22, 19, 40, 375_999, tzinfo=UTC),
    "end_time": datetime(2022, 6, 17, 18, 20, 55, 625_000, tzinfo=timezone(timedelta(hours=-4))),
    "file_format": "mp3",
    "status": "complete",
    "media_url": "http://127.0.0.1:8080/api/v2/accounts/9900000/calls/c-1/recordings/r-1/media",
    "recording_name": "ünïcode name",
}


@pytest.mark.parametrize(
    "fields",
    [
        FULL_RECORDING_FIELDS,
        {"recording_id": "r-2", "channels": 1, "start_time": datetime(2030, 1, 1), "file_format": "wav"},
        {**FULL_RECORDING_FIELDS, "direction": CallDirectionEnum.INBOUND, "media_url": None},
    ],
)
@pytest.mark.parametrize("transcribed", [False, True])
def test_wire_from_fields_is_the_models_wire_form(fields: dict[str, object], transcribed: bool) -> None:
    transcription = {
        "id": "t-1",
        "status": "completed",
        "completed_time": datetime(2022, 6, 13, 18, 46, 29, 715_000, tzinfo=UTC),
        "url": "http://127.0.0.1:8080/transcription",
    }
    nested = RecordingTranscriptionMetadata.wire_from_fields(**transcription) if transcribed else None
    fast = CallRecordingMetadata.wire_from_fields(**fields, transcription=nested)
    model = CallRecordingMetadata(
        **fields, transcription=RecordingTranscriptionMetadata(**transcription) if transcribed else None
    )
    assert json.dumps(fast) == json.dumps(model.to_wire())


def test_wire_from_fields_refuses_a_value_outside_an_enum() -> None:
    with pytest.raises(ValueError):
        CallRecordingMetadata.wire_from_fields(recording_id="r-1", file_format="ogg")


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    separator=st.sampled_from([" ", "T"]),
)
def test_wire_datetime_of_text_is_the_wire_form_of_the_time_it_spells(
    moment: datetime, offset_minutes: int, separator: str
) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    expected = format_wire_datetime(aware)
    naive_utc = aware.astimezone(UTC).replace(tzinfo=None)

    assert wire_datetime(aware) == expected
    assert (
        wire_datetime(naive_utc.isoformat(separator, "microseconds")) == expected
    )  # as a database stores it
    assert wire_datetime(naive_utc.isoformat(separator)) == expected
    assert wire_datetime(aware.isoformat(separator, "microseconds")) == expected


def test_wire_datetime_refuses_text_that_is_no_time() -> None:
    with pytest.raises(ValueError, match="yesterday"):
        wire_datetime("yesterday at noon")


@pytest.mark.parametrize("fields", [FULL_RECORDING_FIELDS, {"recording_id": "r-2", "file_format": "wav"}])
def test_a_row_writer_writes_what_wire_from_fields_writes(fields: dict[str, object]) -> None:
    given = {name: value for name, value in fields.items() if name != "duration"}
    names = list(given)
    writer = CallRecordingMetadata.wire_row_writer(
        {
            **{name: position for position, name in enumerate(names)},
            "duration": Derived(
                lambda context, seconds: f"{context}{seconds}S", (len(names),), with_context=True
            ),
        }
    )
    row = [*given.values(), 7]

    written = writer(row, "PT")

    assert json.dumps(written) == json.dumps(CallRecordingMetadata.wire_from_fields(**given, duration="PT7S"))


def test_a_row_writer_refuses_a_field_the_model_does_not_have() -> None:
    with pytest.raises(ValueError, match="fromNumber"):
        CallRecordingMetadata.wire_row_writer({"recording_id": 0, "fromNumber": 1})
