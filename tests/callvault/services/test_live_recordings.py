"""Finishing a live recording whose media could not all be written: a spool that reached its WAV
size limit is stored `partial` with every frame up to the limit; when the media store fails, the
spool is kept for spool recovery, which stores it later. Real files, real SQLite."""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.bxml import StartRecording
from callvault.calls.recorder import CallRecorder
from callvault.calls.sinks import SpoolSink
from callvault.domain.records import ActiveRecording, Call
from callvault.media.blobstore import BlobInfo
from callvault.media.files import FileBlobStore
from callvault.services import live_calls as call_service
from callvault.services.container import Services, build_services
from callvault.services.live_recordings import keep_recording
from callvault.settings import Settings
from callvault.store import calls_repo, recordings_repo

ACCOUNT = "9900000"
BASE = "http://callvault.test"
RATE = 8000


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False))
    yield built
    built.close()


def recording_call(services: Services) -> tuple[Call, ActiveRecording]:
    request = call_service.parse_create_call({"from": "+15550001", "to": "+15550002", "applicationId": "a"})
    call_id = call_service.create_call(services, ACCOUNT, request, base_url=BASE).call_id
    call_service.execute_verbs(services, ACCOUNT, call_id, [StartRecording()], base_url=BASE)
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, ACCOUNT, call_id)
    assert call is not None and call.recording is not None
    return call, call.recording


def record(sink: SpoolSink, audio: np.ndarray) -> CallRecorder:
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    for offset in range(0, len(audio), 160):
        recorder.add_audio("inbound", audio[offset : offset + 160], at=offset)
    return recorder


def stored_samples(services: Services, media_key: str) -> np.ndarray:
    media = b"".join(services.blobs.open(media_key))  # decrypted
    return np.frombuffer(media[44:], dtype="<i2")


def test_a_wav_that_reaches_its_size_limit_ends_partial_with_every_frame_up_to_it(services: Services) -> None:
    call, active = recording_call(services)
    limit = 2 * RATE * 2  # two seconds of mono audio, standing in for the 4 GiB a WAV header can state
    sink = SpoolSink.create(
        services.live.spools.spool_path(ACCOUNT, call.call_id, active.recording_id),
        "wav",
        RATE,
        1,
        max_data_bytes=limit,
    )
    audio = np.random.default_rng(1).integers(-9000, 9000, 5 * RATE).astype(np.int16)
    summary = record(sink, audio).stop()

    stored = keep_recording(
        services.settings, services.store, services.blobs, call, active, summary, sink, outcome="complete"
    )

    assert stored is not None and stored.status == "partial"
    assert stored.duration_seconds == 2.0
    assert stored.media_key is not None
    assert np.array_equal(stored_samples(services, stored.media_key), audio[: 2 * RATE])
    assert sink.error is not None and "size limit" in sink.error
    assert not sink.path.exists()


class FullMediaStore(FileBlobStore):
    """The media store's disk is full."""

    def write(
        self, key: str, chunks: Iterable[bytes], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_media_store_that_cannot_take_the_media_leaves_the_spool_for_recovery(
    services: Services, tmp_path: Path
) -> None:
    call, active = recording_call(services)
    sink = SpoolSink.create(
        services.live.spools.spool_path(ACCOUNT, call.call_id, active.recording_id), "wav", RATE, 1
    )
    audio = np.random.default_rng(2).integers(-9000, 9000, 3 * RATE).astype(np.int16)
    summary = record(sink, audio).stop()

    full = FullMediaStore(tmp_path / "full")
    stored = keep_recording(
        services.settings, services.store, full, call, active, summary, sink, outcome="complete"
    )

    assert stored is not None and stored.status == "partial" and stored.media_key is None
    assert sink.path.exists() and SpoolSink.is_abandoned(sink.path)  # kept, and its lock let go

    assert services.live.spools.recover_abandoned() == 1  # the media store works again
    with services.store.read() as conn:
        filled = recordings_repo.get_recording_by_id(conn, ACCOUNT, active.recording_id)
    assert filled is not None and filled.status == "partial" and filled.media_key is not None
    assert filled.duration_seconds == 3.0
    assert np.array_equal(stored_samples(services, filled.media_key), audio)
    assert len(b"".join(services.blobs.open(filled.media_key))) == 44 + 3 * RATE * 2  # a whole WAV
    assert not sink.path.exists()
