"""Webhook bodies: the documented keys, absent values left out, times in the wire format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from callvault.webhooks import events
from support.needs import unavailable

CALL: dict[str, Any] = {
    "event_time": datetime(2022, 6, 17, 22, 20, 0, tzinfo=UTC),
    "account_id": "9900000",
    "application_id": "04e88489-df02-4e34-a0ee-27a91849555f",
    "from_": "+15555555555",
    "to": "+15555555556",
    "direction": "inbound",
    "call_id": "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85",
    "call_url": "https://cv.example/api/v2/accounts/9900000/calls/c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85",
}
CALL_WIRE = {
    "eventTime": "2022-06-17T22:20:00.000Z",
    "accountId": "9900000",
    "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
    "from": "+15555555555",
    "to": "+15555555556",
    "direction": "inbound",
    "callId": CALL["call_id"],
    "callUrl": CALL["call_url"],
}
RECORDING_ID = "r-fbe05094-9fd2afe9-bf5b-4c68-820a-41a01c1c5833"
MEDIA_URL = f"{CALL['call_url']}/recordings/{RECORDING_ID}/media"
START = datetime(2022, 6, 17, 22, 19, 40, 375_999, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
END = datetime(2022, 6, 17, 22, 19, 54, 45_000, tzinfo=UTC)


def test_recording_available_with_every_field() -> None:
    body = events.recording_available(
        **CALL,
        parent_call_id="c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
        recording_id=RECORDING_ID,
        media_url=MEDIA_URL,
        enqueued_time=datetime(2022, 6, 17, 22, 19, 0, tzinfo=UTC),
        start_time=START,
        end_time=END,
        duration="PT13.67S",
        file_format="wav",
        channels=2,
        tag="exampleTag",
        status="complete",
        transfer_caller_id="+15555555557",
        transfer_to="+15555555558",
    )

    assert body == {
        "eventType": "recordingAvailable",
        **CALL_WIRE,
        "parentCallId": "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
        "recordingId": RECORDING_ID,
        "mediaUrl": MEDIA_URL,
        "enqueuedTime": "2022-06-17T22:19:00.000Z",
        "startTime": "2022-06-17T22:19:40.375Z",
        "endTime": "2022-06-17T22:19:54.045Z",
        "duration": "PT13.67S",
        "fileFormat": "wav",
        "channels": 2,
        "tag": "exampleTag",
        "status": "complete",
        "transferCallerId": "+15555555557",
        "transferTo": "+15555555558",
    }


def test_recording_available_leaves_absent_values_out() -> None:
    body = events.recording_available(**CALL, recording_id=RECORDING_ID, tag=None, channels=None)

    assert body == {"eventType": "recordingAvailable", **CALL_WIRE, "recordingId": RECORDING_ID}


def test_transcription_available_nests_the_transcription() -> None:
    body = events.transcription_available(
        **CALL,
        recording_id=RECORDING_ID,
        media_url=MEDIA_URL,
        start_time=START,
        end_time=END,
        duration=13.67,
        file_format="mp3",
        tag="t",
        transcription_id="t-387bd648-18f3-4823-9d16-746bca0003c9",
        transcription_status="available",
        transcription_completed_time=datetime(2022, 6, 13, 18, 46, 29, 715_000, tzinfo=UTC),
        transcription_url=f"{CALL['call_url']}/recordings/{RECORDING_ID}/transcription",
    )

    assert body == {
        "eventType": "transcriptionAvailable",
        **CALL_WIRE,
        "mediaUrl": MEDIA_URL,
        "recordingId": RECORDING_ID,
        "startTime": "2022-06-17T22:19:40.375Z",
        "endTime": "2022-06-17T22:19:54.045Z",
        "duration": "PT13.67S",
        "fileFormat": "mp3",
        "tag": "t",
        "transcription": {
            "id": "t-387bd648-18f3-4823-9d16-746bca0003c9",
            "status": "available",
            "completedTime": "2022-06-13T18:46:29.715Z",
            "url": f"{CALL['call_url']}/recordings/{RECORDING_ID}/transcription",
        },
    }


def test_transcription_available_omits_an_empty_transcription_and_its_absent_parts() -> None:
    bare = events.transcription_available(**CALL, recording_id=RECORDING_ID)
    partial = events.transcription_available(**CALL, recording_id=RECORDING_ID, transcription_status="error")

    assert "transcription" not in bare
    assert partial["transcription"] == {"status": "error"}


def test_answer() -> None:
    body = events.answer(
        **CALL, start_time=START, answer_time=datetime(2022, 6, 17, 22, 19, 42, 1_000, tzinfo=UTC)
    )

    assert body == {
        "eventType": "answer",
        **CALL_WIRE,
        "startTime": "2022-06-17T22:19:40.375Z",
        "answerTime": "2022-06-17T22:19:42.001Z",
    }


@pytest.mark.parametrize(
    ("moment", "wire"),
    [
        (datetime(2022, 6, 17, 22, 19, 40, 375_999, tzinfo=UTC), "2022-06-17T22:19:40.375Z"),
        (datetime(2022, 6, 17, 22, 19, 40), "2022-06-17T22:19:40.000Z"),  # naive means UTC
        (datetime(2022, 6, 18, 0, 19, 40, 5_000, tzinfo=PLUS_TWO), "2022-06-17T22:19:40.005Z"),
    ],
)
def test_times_are_utc_with_milliseconds(moment: datetime, wire: str) -> None:
    body = events.answer(**{**CALL, "event_time": moment})

    assert body["eventTime"] == wire


@pytest.mark.parametrize(("seconds", "wire"), [(13.67, "PT13.67S"), (75.25, "PT1M15.25S"), (0, "PT0S")])
def test_durations_in_seconds_become_iso_8601(seconds: float, wire: str) -> None:
    assert events.recording_available(**CALL, recording_id=RECORDING_ID, duration=seconds)["duration"] == wire


def _reference_schemas() -> dict[str, Any]:
    for folder in Path(__file__).resolve().parents:
        for candidate in (folder / "shared/reference", folder / "reference"):
            spec = candidate / "recordings-openapi.yml"
            if spec.is_file():
                schemas: dict[str, Any] = yaml.safe_load(spec.read_text())["components"]["schemas"]
                return schemas
    unavailable("reference/recordings-openapi.yml (../shared/reference) not found above this test")


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        (
            "recordingAvailableCallback",
            events.recording_available(
                **CALL,
                recording_id=RECORDING_ID,
                parent_call_id="c-1",
                media_url=MEDIA_URL,
                enqueued_time=START,
                start_time=START,
                end_time=END,
                duration=1.0,
                file_format="wav",
                channels=1,
                tag="t",
                status="complete",
                transfer_caller_id="+1",
                transfer_to="+2",
            ),
        ),
        (
            "transcriptionAvailableCallback",
            events.transcription_available(
                **CALL,
                recording_id=RECORDING_ID,
                parent_call_id="c-1",
                media_url=MEDIA_URL,
                enqueued_time=START,
                start_time=START,
                end_time=END,
                duration=1.0,
                file_format="wav",
                tag="t",
                transcription_id="t-1",
                transfer_caller_id="+1",
                transfer_to="+2",
            ),
        ),
    ],
)
def test_keys_are_exactly_the_documented_ones_in_schema_order(schema: str, body: dict[str, Any]) -> None:
    documented = list(_reference_schemas()[schema]["properties"])

    assert list(body) == documented


def test_values_the_wire_format_does_not_allow_are_refused() -> None:
    with pytest.raises(ValidationError):
        events.recording_available(**CALL, recording_id=RECORDING_ID, file_format="flac")
    with pytest.raises(ValidationError):
        events.answer(**{**CALL, "direction": "sideways"})
