"""The Recordings API through our `bandwidth` client against a real server."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import bandwidth
from bandwidth.rest import ApiException
from callvault.domain.jobs import PURGE_MEDIA_JOB
from callvault.domain.records import Job, Recording
from callvault.domain.timefmt import utcnow
from callvault.store import jobs_repo, recordings_repo
from callvault.store.database import MetadataStore
from support.server import LiveServer, ServerFactory


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


def _media_key(server: LiveServer, recording_id: str) -> str:
    ((media_key,),) = server.db_rows(
        "SELECT media_key FROM recordings WHERE recording_id = :rid", rid=recording_id
    )
    assert media_key
    return str(media_key)


def _wait_until_purged(server: LiveServer, media_key: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while server.blob_exists(media_key) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not server.blob_exists(media_key), "the purge job removes the bytes after the grace period"


def test_delete_media_keeps_metadata_and_purges_the_bytes(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    media_key = _media_key(live_server, recording_id)
    api.delete_recording_media(live_server.account_id, call_id, recording_id)
    metadata = api.get_call_recording(live_server.account_id, call_id, recording_id)
    assert metadata.media_url is None
    for call in (
        lambda: api.download_call_recording(live_server.account_id, call_id, recording_id),
        lambda: api.delete_recording_media(live_server.account_id, call_id, recording_id),
    ):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status == 404
    with pytest.raises(ApiException) as info:
        api.transcribe_call_recording(
            live_server.account_id, call_id, recording_id, bandwidth.TranscribeRecording()
        )
    assert info.value.status == 404
    assert "has no media to transcribe" in (info.value.body or "")
    _wait_until_purged(live_server, media_key)


def test_delete_recording_hides_everything_and_purges_bytes(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    media_key = _media_key(live_server, recording_id)
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
    _wait_until_purged(live_server, media_key)


@pytest.fixture(scope="module")
def idle_server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """A server without job threads: a requested transcription stays `processing`."""
    return module_server_factory(
        tmp_path_factory.mktemp("idle"), env_overrides={"CALLVAULT_RUN_WORKERS": "false"}
    )


def test_transcription_request_is_processing_then_get_404(idle_server: LiveServer, wav_file: Path) -> None:
    call_id = _call_id()
    recording_id = idle_server.ingest(call_id, wav_file, {})["recordingId"]
    configuration = bandwidth.Configuration(
        host=idle_server.url + "/api/v2", username=idle_server.username, password=idle_server.password
    )
    api = bandwidth.RecordingsApi(bandwidth.ApiClient(configuration))
    api.transcribe_call_recording(
        idle_server.account_id,
        call_id,
        recording_id,
        bandwidth.TranscribeRecording(callback_timeout=5.5, tag="x"),
    )
    metadata = api.get_call_recording(idle_server.account_id, call_id, recording_id)
    assert metadata.transcription is not None
    assert metadata.transcription.id.startswith("t-")
    assert metadata.transcription.status == "processing"
    assert metadata.transcription.url.endswith(f"/recordings/{recording_id}/transcription")
    with pytest.raises(ApiException) as info:
        api.get_recording_transcription(idle_server.account_id, call_id, recording_id)
    assert info.value.status == 404


# ---------------------------------------------------------------------- purge grace (30 s)

GRACE_S = 30


@pytest.fixture(scope="module")
def graceful_server(
    module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    """Job threads running, deleted media purged after 30 s."""
    return module_server_factory(
        tmp_path_factory.mktemp("graceful"), env_overrides={"CALLVAULT_PURGE_GRACE": "30s"}
    )


def _purge_job(server: LiveServer, media_key: str) -> Job:
    store = MetadataStore(server.database_url)
    try:
        with store.read() as conn:
            [job] = [
                j for j in jobs_repo.list_jobs(conn, PURGE_MEDIA_JOB) if j.payload["media_key"] == media_key
            ]
        return job
    finally:
        store.dispose()


def _claim_purge(server: LiveServer, now: datetime) -> Job | None:
    store = MetadataStore(server.database_url)
    try:
        with store.write() as conn:
            return jobs_repo.claim_next(
                conn, owner="test", now=now, lease_seconds=3600, kinds=[PURGE_MEDIA_JOB]
            )
    finally:
        store.dispose()


@pytest.mark.parametrize("deleted", ["recording", "media"])
def test_deleted_media_outlives_the_grace_and_its_purge_job_waits_for_it(
    graceful_server: LiveServer, wav_file: Path, deleted: str
) -> None:
    server = graceful_server
    call_id = _call_id()
    recording_id = server.ingest(call_id, wav_file, {})["recordingId"]
    media_key = _media_key(server, recording_id)
    path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{recording_id}"
    before = utcnow()
    with server.client() as client:
        response = client.delete(path if deleted == "recording" else path + "/media")
    after = utcnow()
    assert response.status_code == 204

    job = _purge_job(server, media_key)
    assert before + timedelta(seconds=GRACE_S) <= job.run_after <= after + timedelta(seconds=GRACE_S)
    time.sleep(1.5)  # the server's job threads poll every 50 ms: a purge due now would have run
    assert server.blob_exists(media_key)
    assert _claim_purge(server, job.run_after - timedelta(seconds=1)) is None
    claimed = _claim_purge(server, job.run_after)
    assert claimed is not None and claimed.id == job.id


# ---------------------------------------------------------------------- the 1,000-row cap

CAPPED_ACCOUNT = "9900002"


def test_an_account_list_returns_the_first_1000_of_1001_by_start_time(
    live_server: LiveServer, wav_file: Path
) -> None:
    user = (f"capped-{uuid.uuid4().hex[:8]}", "capped-password")
    live_server.add_user(*user, [CAPPED_ACCOUNT])
    start = datetime(2030, 1, 1, tzinfo=UTC)
    order = list(range(1001))
    random.Random(11).shuffle(order)  # inserted out of order: the cap must follow start time, not id
    store = MetadataStore(live_server.database_url)
    try:
        with store.write() as conn:
            for second in order:
                recordings_repo.insert_recording(
                    conn,
                    Recording(
                        recording_id=f"r-cap-{uuid.uuid4()}",
                        account_id=CAPPED_ACCOUNT,
                        call_id=f"c-cap-{second:04d}",
                        channels=1,
                        start_time=start + timedelta(seconds=second),
                        duration_seconds=1.0,
                        file_format="wav",
                        status="complete",
                        created_at=start,
                    ),
                )
    finally:
        store.dispose()

    response = httpx.get(
        f"{live_server.url}/api/v2/accounts/{CAPPED_ACCOUNT}/recordings", auth=user, timeout=120
    )

    assert response.status_code == 200
    listed = [r["callId"] for r in response.json()]
    assert listed == [f"c-cap-{second:04d}" for second in range(1000)]
