"""Live calls in one process, without HTTP: the control bus, a write error mid-call, transcription."""

from __future__ import annotations

import errno
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.bxml import PauseRecording, ResumeRecording, StartRecording, StopRecording
from callvault.calls.control import InProcessControlBus
from callvault.calls.media_stream import L16_8K, L16_16K, PCMU_8K
from callvault.calls.runtime import LiveCallRuntime, recording_sample_rate
from callvault.domain.records import ActiveRecording
from callvault.domain.timefmt import utcnow
from callvault.media.probe import probe
from callvault.media.store_url import open_blob_store
from callvault.services import live_calls as call_service
from callvault.services.container import Services, build_services
from callvault.settings import Settings
from callvault.store import calls_repo, jobs_repo, recordings_repo
from callvault.store.database import MetadataStore
from support.crash import spool_left_by_killed_process

ACCOUNT = "9900000"
BASE = "http://callvault.test"
FULL_DISK_CALL = Path(__file__).with_name("full_disk_call.py")


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False))
    yield built
    built.close()


def _call(services: Services) -> str:
    request = call_service.parse_create_call({"from": "+15550001", "to": "+15550002", "applicationId": "a"})
    return call_service.create_call(services, ACCOUNT, request, base_url=BASE).call_id


def _stream(live: LiveCallRuntime, call_id: str, seconds: float) -> None:
    session = live.session(ACCOUNT, call_id)
    session.start_tracks({"inbound": 8000})
    tone = (4000 * np.sin(np.arange(round(seconds * 8000)) / 5)).astype(np.int16)
    for start in range(0, len(tone), 160):
        session.feed_samples("inbound", tone[start : start + 160])
    session.stream_stopped()
    session.end()


def test_a_full_disk_keeps_the_audio_written_before_it_as_a_partial_recording(tmp_path: Path) -> None:
    """The real writer hits a real file-size limit (RLIMIT_FSIZE in a subprocess, 512 KiB: about 32 s
    of the 40 s call); the call goes on, and the recording is `partial` with every frame written
    before the failure, sample for sample; the spool file is gone once stored."""
    data_dir = tmp_path / "data"
    limit = 512 * 1024
    result = subprocess.run(
        [sys.executable, str(FULL_DISK_CALL), str(data_dir), str(limit), "40"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    call_id = result.stdout.split()[-1]
    assert "wav spool failed to write: OSError: [Errno 27] File too large" in result.stderr
    assert "the spool keeps 32.77 s of audio written before" in result.stderr

    store = MetadataStore(f"sqlite:///{data_dir / 'callvault.sqlite3'}")
    with store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    store.dispose()
    kept = (limit - 44) // 2
    assert recording.status == "partial"
    assert recording.duration_seconds == kept / 8000
    assert recording.media_key is not None
    media_path = open_blob_store(str(data_dir / "media")).local_path(recording.media_key)
    assert media_path is not None
    assert probe(media_path).duration == kept / 8000
    media = media_path.read_bytes()
    sent = (4000 * np.sin(np.arange(40 * 8000) / 5)).astype(np.int16)  # fed as samples, not G.711
    assert np.array_equal(np.frombuffer(media[44:], dtype="<i2"), sent[:kept])
    assert call is not None and call.recording is None and call.state == "active"
    assert list((data_dir / "live").iterdir()) == []  # the spool is gone once its audio is stored


def test_transcribe_true_requests_a_transcription_with_the_recording(services: Services) -> None:
    live = services.live
    call_id = _call(services)
    verb = StartRecording(
        transcribe=True,
        transcription_available_url="https://app.test/transcribed",
        transcription_available_method="GET",
        username="u",
        password="p",
        tag="tt",
        detect_language=True,
    )
    call_service.execute_verbs(services, ACCOUNT, call_id, [verb], base_url=BASE)

    _stream(live, call_id, 1.0)

    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
        transcription = recordings_repo.get_transcription(conn, ACCOUNT, recording.recording_id)
        jobs = jobs_repo.list_jobs(conn, "transcribe")
    assert recording.status == "complete" and recording.media_key is not None
    assert recording.duration_seconds == 1.0
    assert services.blobs.exists(recording.media_key)
    assert transcription is not None and transcription.status == "processing"
    request = transcription.request
    assert request.callback_url == "https://app.test/transcribed"
    assert (request.callback_method, request.tag, request.detect_language) == ("GET", "tt", True)
    assert (request.username, request.password, request.base_url) == ("u", "p", BASE)
    assert [job.payload["transcriptionId"] for job in jobs] == [transcription.transcription_id]


def test_a_finished_recording_is_stored_once_however_many_finishers(services: Services) -> None:
    live = services.live
    call_id = _call(services)
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert call is not None
    active = ActiveRecording(recording_id="r-once", start_time=utcnow(), base_url=BASE)
    assert live.spools.finish_abandoned(call, active) is not None
    assert live.spools.finish_abandoned(call, active) is None
    with services.store.read() as conn:
        assert len(recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)) == 1
    assert sum(1 for _ in services.blobs.keys()) == 1


def test_the_in_process_bus_signals_subscribers_until_they_leave(caplog: pytest.LogCaptureFixture) -> None:
    bus = InProcessControlBus()
    got: list[str] = []
    unsubscribe = bus.subscribe("a-1", "c-1", lambda: got.append("c-1"))
    bus.subscribe("a-1", "c-1", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    bus.publish("a-1", "c-1")
    bus.publish("a-1", "c-2")
    bus.publish("a-2", "c-1")  # the same call id in another account is another call
    bus.publish("a-1", "c-1")
    unsubscribe()
    bus.publish("a-1", "c-1")
    assert got == ["c-1", "c-1"]
    assert any("boom" in (r.exc_text or "") for r in caplog.records if r.levelno == logging.ERROR)


def test_a_run_of_verbs_signals_the_call_once(services: Services) -> None:
    call_id = _call(services)
    signals: list[str] = []
    services.live.bus.subscribe(ACCOUNT, call_id, lambda: signals.append(call_id))
    verbs = [StartRecording(), PauseRecording(), ResumeRecording(), StopRecording(), StartRecording()]
    call_service.execute_verbs(services, ACCOUNT, call_id, verbs, base_url=BASE)
    assert signals == [call_id]
    call_service.execute_verbs(services, ACCOUNT, call_id, [ResumeRecording()], base_url=BASE)  # no change
    assert signals == [call_id]


def test_recording_rate_follows_the_widest_track() -> None:
    assert recording_sample_rate([PCMU_8K.sample_rate, L16_8K.sample_rate]) == 8000
    assert recording_sample_rate([PCMU_8K.sample_rate, L16_16K.sample_rate]) == 16000


def test_the_owner_follows_the_call_row_not_a_stale_signal(services: Services) -> None:
    live = services.live
    call_id = _call(services)
    call_service.execute_verbs(services, ACCOUNT, call_id, [StartRecording()], base_url=BASE)
    session = live.session(ACCOUNT, call_id)
    session.start_tracks({"inbound": 8000})
    packet = np.full(160, 1000, dtype=np.int16)
    for _ in range(50):
        session.feed_samples("inbound", packet)
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert call is not None and call.recording is not None
    live.bus.publish(ACCOUNT, call_id)  # a stale signal: the row still says recording
    for _ in range(50):
        session.feed_samples("inbound", packet)
    session.stream_stopped()
    session.end()
    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
    assert recording.duration_seconds == 2.0


def _recording_with_killed_owner(services: Services, *, file_format: str, seconds: float) -> tuple[str, str]:
    """A call whose recording's media owner was killed after `seconds` of audio: its spool is left."""
    call_id = _call(services)
    verb = StartRecording(file_format="mp3" if file_format == "mp3" else "wav")
    call_service.execute_verbs(services, ACCOUNT, call_id, [verb], base_url=BASE)
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert call is not None and call.recording is not None
    recording_id = call.recording.recording_id
    spool_left_by_killed_process(
        services.live.spools.spool_path(ACCOUNT, call_id, recording_id), seconds=seconds
    )
    return call_id, recording_id


@pytest.mark.parametrize("file_format", ["wav", "mp3"])
def test_a_killed_owners_recording_is_finished_from_its_spool(services: Services, file_format: str) -> None:
    call_id, recording_id = _recording_with_killed_owner(services, file_format=file_format, seconds=4.0)

    assert services.live.spools.recover_abandoned() == 1

    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert (recording.recording_id, recording.status, recording.file_format) == (
        recording_id,
        "partial",
        file_format,
    )
    assert recording.duration_seconds == 4.0
    assert recording.media_key is not None and services.blobs.exists(recording.media_key)
    local = services.settings.data_dir / f"stored.{file_format}"  # the stored media, decrypted
    local.write_bytes(b"".join(services.blobs.open(recording.media_key)))
    assert probe(local).duration == pytest.approx(4.0, abs=0.25)  # MP3 frames pad the end
    assert call is not None and call.recording is None
    assert list(services.live.spools.spool_dir.iterdir()) == []
    assert services.live.spools.recover_abandoned() == 0


def test_a_spool_named_before_accounts_named_spools_is_still_recovered(services: Services) -> None:
    call_id, recording_id = _recording_with_killed_owner(services, file_format="wav", seconds=1.5)
    spool = services.live.spools.spool_path(ACCOUNT, call_id, recording_id)
    spool.rename(spool.with_name(f"{call_id}.{recording_id}.wav"))  # how an older version named it

    assert services.live.spools.recover_abandoned() == 1

    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
    assert (recording.status, recording.duration_seconds) == ("partial", 1.5)
    assert list(services.live.spools.spool_dir.iterdir()) == []


def test_hanging_up_after_the_owner_was_killed_keeps_the_spooled_audio(services: Services) -> None:
    call_id, _ = _recording_with_killed_owner(services, file_format="wav", seconds=2.5)

    call_service.hang_up(services, ACCOUNT, call_id)

    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
    assert (recording.status, recording.duration_seconds) == ("partial", 2.5)
    assert list(services.live.spools.spool_dir.iterdir()) == []


def test_a_spool_found_after_an_empty_finish_fills_that_recording(services: Services) -> None:
    """Hung up by a process that could not reach the spool: the restarted owner fills the empty row."""
    call_id, recording_id = _recording_with_killed_owner(services, file_format="wav", seconds=3.0)
    spool = services.live.spools.spool_path(ACCOUNT, call_id, recording_id)
    hidden = spool.rename(spool.with_name("elsewhere"))
    call_service.hang_up(services, ACCOUNT, call_id)
    with services.store.read() as conn:
        [empty] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
    assert (empty.status, empty.duration_seconds) == ("partial", 0.0)
    hidden.rename(spool)

    assert services.live.spools.recover_abandoned() == 1

    with services.store.read() as conn:
        [filled] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
        webhooks = jobs_repo.list_jobs(conn, "webhook")
        purges = jobs_repo.list_jobs(conn, "purge_media")
    assert (filled.status, filled.duration_seconds) == ("partial", 3.0)
    assert filled.media_key is not None and services.blobs.exists(filled.media_key)
    assert webhooks == []
    assert [job.payload["media_key"] for job in purges] == [empty.media_key]
    assert sorted(p.name for p in services.live.spools.spool_dir.iterdir()) == []


def test_what_a_process_killed_while_creating_a_spool_left_is_removed(services: Services) -> None:
    live = services.live
    live.spools.spool_dir.mkdir(parents=True, exist_ok=True)
    stray = live.spools.spool_dir / ".c-1.r-1.wav.4242.new"
    stray.write_bytes(b"")
    assert live.spools.recover_abandoned() == 0
    assert list(live.spools.spool_dir.iterdir()) == []


def test_the_spool_recovery_thread_survives_a_failing_directory_listing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EMFILE from the spool directory's glob once (as under a file-descriptor flood): the thread
    logs it, lives on, and finishes the killed process's recording on its next round."""
    call_id, _ = _recording_with_killed_owner(services, file_format="wav", seconds=1.0)
    spool_dir, real_glob, failures = services.live.spools.spool_dir, Path.glob, []

    def glob_failing_once(self: Path, pattern: str, *args: object, **kwargs: object) -> object:
        if self == spool_dir and not failures:
            failures.append(pattern)
            raise OSError(errno.EMFILE, "Too many open files")
        return real_glob(self, pattern, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "glob", glob_failing_once)
    services.live.spools.start_recovery(interval=0.05)
    deadline = time.monotonic() + 60
    while True:
        with services.store.read() as conn:
            recordings = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
        if recordings or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert failures, "the listing never failed"
    assert [(r.status, r.duration_seconds) for r in recordings] == [("partial", 1.0)]
