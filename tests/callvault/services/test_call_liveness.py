"""No call left behind (services/call_liveness.py, services/siprec_failover.py,
services/continued_recordings.py), in one process on SQLite: a SIPREC call whose process was killed
is ended by the liveness sweep with its spooled audio kept `partial`; a session re-established with
the same SIPREC session id goes on with the same call and recording, the gap as silence, noted in
`source`. The kill is a real one: the spool is left by a SIGKILLed process (support.crash)."""

from __future__ import annotations

import dataclasses
import io
import time
import wave
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.siprec.metadata import Participant, RecordingMetadata
from callvault.domain.records import Recording
from callvault.domain.sources import SipSource
from callvault.domain.timefmt import utcnow
from callvault.media.audio import mulaw_decode, mulaw_encode
from callvault.services import live_calls as call_service
from callvault.services.call_liveness import MEDIA_OWNER_LOST, CallLivenessLoop, end_orphaned_calls
from callvault.services.container import Services, build_services
from callvault.services.recorded_calls import open_recorded_call
from callvault.services.siprec import SiprecCalls, siprec_started
from callvault.settings import Settings
from callvault.store import calls_repo, recordings_repo
from support.crash import spool_left_by_killed_process

ACCOUNT = "9900000"
SOURCE = SipSource(name="sbc", account_id=ACCOUNT)
FRAME = 160


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False, media_owner_timeout=1.5))
    yield built
    built.close()


def metadata(session_id: str) -> RecordingMetadata:
    return RecordingMetadata(
        session_id=session_id,
        sip_session_id=None,
        original_call_id="orig-1",
        start_time=None,
        participants=(Participant("p1", "sip:+15551230001@x"), Participant("p2", "sip:+15551230002@x")),
    )


def killed_siprec_call(services: Services, session_id: str, *, seconds: float, started_ago: float) -> str:
    """A SIPREC call whose process was SIGKILLed after `seconds` of audio, `started_ago` seconds ago:
    its spool is left, its owner's last heartbeat is older than the timeout."""
    event = siprec_started(SOURCE, metadata(session_id), ("inbound",), "sip-dialog-1")
    call, _ = open_recorded_call(
        services,
        ACCOUNT,
        call_id=None,
        from_number=event.from_number,
        to_number=event.to_number,
        direction="inbound",
        start_time=None,
        source=event.source,
    )
    assert call.recording is not None
    started = utcnow() - timedelta(seconds=started_ago)
    active = dataclasses.replace(call.recording, start_time=started)
    with services.store.write() as conn:
        calls_repo.update_call(conn, ACCOUNT, call.call_id, recording=active)
        calls_repo.set_media_owner(
            conn, ACCOUNT, call.call_id, "gone-host:1:abc", utcnow() - timedelta(seconds=60)
        )
    spool_left_by_killed_process(
        services.live.spools.spool_path(ACCOUNT, call.call_id, active.recording_id), seconds=seconds
    )
    return call.call_id


def recordings_of(services: Services, call_id: str) -> list[Recording]:
    with services.store.read() as conn:
        return recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)


def samples_of(services: Services, recording: Recording) -> np.ndarray:
    assert recording.media_key is not None
    with wave.open(io.BytesIO(b"".join(services.blobs.open(recording.media_key)))) as wav:
        assert wav.getframerate() == 8000
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)


def speech(seconds: float) -> np.ndarray:
    noise = np.random.default_rng(7).integers(-12000, 12000, round(seconds * 8000)).astype(np.int16)
    return np.asarray(mulaw_decode(mulaw_encode(noise)))


def test_a_killed_processs_siprec_call_is_ended_with_its_spooled_audio(services: Services) -> None:
    call_id = killed_siprec_call(services, "rs-killed", seconds=2.5, started_ago=5)
    alive = killed_siprec_call(services, "rs-alive", seconds=1.0, started_ago=5)
    with services.store.write() as conn:  # this one's owner beat its heart just now
        calls_repo.set_media_owner(conn, ACCOUNT, alive, "other-host:2:def", utcnow())
    request = call_service.parse_create_call({"from": "+15550001", "to": "+15550002", "applicationId": "a"})
    own = call_service.create_call(services, ACCOUNT, request, base_url="http://cv.test").call_id

    assert end_orphaned_calls(services) == 1

    with services.store.read() as conn:
        ended = calls_repo.get_call(conn, ACCOUNT, call_id)
        states = {cid: calls_repo.get_call(conn, ACCOUNT, cid) for cid in (alive, own)}
    assert ended is not None and (ended.state, ended.disconnect_cause) == ("completed", MEDIA_OWNER_LOST)
    [recording] = recordings_of(services, call_id)
    assert (recording.status, recording.duration_seconds) == ("partial", 2.5)
    assert all(call is not None and call.state == "active" for call in states.values())
    assert end_orphaned_calls(services) == 0


def test_the_liveness_loop_ends_orphaned_calls_and_survives_errors(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = killed_siprec_call(services, "rs-loop", seconds=1.0, started_ago=3)
    failures = iter([RuntimeError("database away")])
    real = calls_repo.orphaned_calls

    def failing_once(*args: object, **kwargs: object) -> list[tuple[str, str]]:
        for failure in failures:
            raise failure
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calls_repo, "orphaned_calls", failing_once)
    loop = CallLivenessLoop(services, interval=0.05).start()
    try:
        deadline = utcnow() + timedelta(seconds=60)
        while not recordings_of(services, call_id) and utcnow() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop()
    [recording] = recordings_of(services, call_id)
    assert recording.status == "partial"


def test_a_reestablished_session_goes_on_with_the_same_call_and_recording(services: Services) -> None:
    call_id = killed_siprec_call(services, "rs-failover", seconds=2.0, started_ago=10)
    assert end_orphaned_calls(services) == 1
    [earlier] = recordings_of(services, call_id)
    earlier_samples = samples_of(services, earlier)

    later = speech(1.0)
    call = SiprecCalls(services).open(
        SOURCE, metadata("rs-failover"), ("inbound",), "sip-dialog-2", on_ended=lambda: None
    )
    for start in range(0, len(later), FRAME):
        call.add_audio("inbound", later[start : start + FRAME])
    call.end()

    assert call.call_id == call_id
    [recording] = recordings_of(services, call_id)
    assert recording.recording_id == earlier.recording_id
    assert recording.start_time == earlier.start_time
    assert recording.source is not None
    [gap] = recording.source["gaps"]
    assert gap["at"] == "PT2S"
    gap_seconds = float(gap["duration"].removeprefix("PT").removesuffix("S"))
    assert 7.0 < gap_seconds < 9.5  # 10 s ago + 2 s of audio, then the new session: about 8 s
    samples = samples_of(services, recording)
    gap_frames = len(samples) - len(earlier_samples) - len(later)
    # Noted rounded to the millisecond: off by half a millisecond at most, exactly half when the gap
    # is a whole number of samples plus 4 (1 in 8 runs; 8218.5 ms rounds to 8218), hence the 1e-9.
    assert gap_frames / 8000 == pytest.approx(gap_seconds, abs=0.0005 + 1e-9)
    assert recording.duration_seconds == len(samples) / 8000
    assert np.array_equal(samples[: len(earlier_samples)], earlier_samples)
    assert not samples[len(earlier_samples) : len(earlier_samples) + gap_frames].any()
    assert np.array_equal(samples[-len(later) :], later)
    assert earlier.media_key is not None and recording.media_key != earlier.media_key
    with services.store.read() as conn:
        ended = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert ended is not None and ended.state == "completed" and ended.disconnect_cause == "hangup"


def test_a_session_id_whose_call_ended_normally_starts_a_new_call(services: Services) -> None:
    sessions = SiprecCalls(services)
    first = sessions.open(SOURCE, metadata("rs-done"), ("inbound",), "d-1", on_ended=lambda: None)
    first.add_audio("inbound", speech(0.2))
    first.end()
    second = sessions.open(SOURCE, metadata("rs-done"), ("inbound",), "d-2", on_ended=lambda: None)
    second.add_audio("inbound", speech(0.2))
    second.end()
    assert second.call_id != first.call_id
    assert [r.status for r in recordings_of(services, second.call_id)] == ["complete"]
