"""The Recordings API through our `bandwidth` client against a real server."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

import bandwidth
from bandwidth.rest import ApiException
from support.server import LiveServer


def _call_id() -> str:
    return f"c-{uuid.uuid4()}"


def test_account_list_filters_sorted_and_inclusive_exclusive(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    times = ["2031-01-01T00:00:03Z", "2031-01-01T00:00:01Z", "2031-01-01T00:00:02Z"]
    ids = {}
    for start in times:
        created = live_server.ingest(
            _call_id(), wav_file, {"from": number, "to": "+15550000000", "startTime": start}
        )
        ids[start] = created["recordingId"]
    listed = api.list_account_call_recordings(live_server.account_id, var_from=number)
    assert [r.recording_id for r in listed] == [ids[t] for t in sorted(times)]
    window = api.list_account_call_recordings(
        live_server.account_id,
        var_from=number,
        min_start_time="2031-01-01T00:00:01Z",
        max_start_time="2031-01-01T00:00:03Z",
    )
    assert [r.recording_id for r in window] == [ids["2031-01-01T00:00:01Z"], ids["2031-01-01T00:00:02Z"]]
    assert api.list_account_call_recordings(live_server.account_id, var_from=number, to="+19999999999") == []


def test_unparsable_time_is_400(api: bandwidth.RecordingsApi, live_server: LiveServer) -> None:
    with pytest.raises(ApiException) as info:
        api.list_account_call_recordings(live_server.account_id, min_start_time="yesterday")
    assert info.value.status == 400
    assert "minStartTime" in (info.value.body or "")


def test_call_without_recordings_lists_empty(api: bandwidth.RecordingsApi, live_server: LiveServer) -> None:
    assert api.list_call_recordings(live_server.account_id, _call_id()) == []


def test_delete_media_keeps_metadata(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    api.delete_recording_media(live_server.account_id, call_id, recording_id)
    metadata = api.get_call_recording(live_server.account_id, call_id, recording_id)
    assert metadata.media_url is None
    with pytest.raises(ApiException) as info:
        api.download_call_recording(live_server.account_id, call_id, recording_id)
    assert info.value.status == 404


def test_delete_recording_hides_everything_and_purges_bytes(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    ((media_key,),) = live_server.db_rows(
        "SELECT media_key FROM recordings WHERE recording_id = :rid", rid=recording_id
    )
    assert live_server.blob_exists(media_key)
    api.delete_recording(live_server.account_id, call_id, recording_id)
    for call in (
        lambda: api.get_call_recording(live_server.account_id, call_id, recording_id),
        lambda: api.download_call_recording(live_server.account_id, call_id, recording_id),
        lambda: api.get_recording_transcription(live_server.account_id, call_id, recording_id),
        lambda: api.delete_recording(live_server.account_id, call_id, recording_id),
    ):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status == 404
    assert api.list_call_recordings(live_server.account_id, call_id) == []
    deadline = time.monotonic() + 20
    while live_server.blob_exists(media_key) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not live_server.blob_exists(media_key), "the purge job removes the bytes after the grace period"


def test_transcription_request_is_processing_then_get_404(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    api.transcribe_call_recording(
        live_server.account_id,
        call_id,
        recording_id,
        bandwidth.TranscribeRecording(callback_timeout=5.5, tag="x"),
    )
    metadata = api.get_call_recording(live_server.account_id, call_id, recording_id)
    assert metadata.transcription is not None
    assert metadata.transcription.id.startswith("t-")
    assert metadata.transcription.url.endswith(f"/recordings/{recording_id}/transcription")
