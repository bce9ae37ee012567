"""Spool files: locked while their process lives, whole again after it is killed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callvault.calls.sinks import SpoolBusy, SpoolName, SpoolSink, parse_spool_name, spool_name
from callvault.media.probe import probe
from support.crash import SpoolWriter, spool_left_by_killed_process


def test_a_killed_writers_spool_is_repaired_to_its_last_whole_frame(tmp_path: Path) -> None:
    path = spool_left_by_killed_process(tmp_path / "c-1.r-1.wav", seconds=3.5, channels=2, torn_bytes=3)
    reclaimed = SpoolSink.reclaim(path, "wav")
    assert reclaimed is not None
    sink, audio = reclaimed
    assert (audio.sample_rate, audio.channels, audio.frames) == (8000, 2, 28000)
    assert sink.error is None
    info = probe(path)
    assert (info.format, info.channels, info.duration) == ("wav", 2, 3.5)
    assert path.stat().st_size == 44 + 28000 * 4
    sink.discard()
    assert not path.exists()


def test_a_living_writers_spool_is_busy(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "c-1.r-1.wav", seconds=1.0)
    try:
        with pytest.raises(SpoolBusy):
            SpoolSink.reclaim(writer.path, "wav")
    finally:
        writer.kill()
    assert SpoolSink.reclaim(writer.path, "wav") is not None


def test_an_mp3_recording_is_encoded_from_its_spool(tmp_path: Path) -> None:
    path = spool_left_by_killed_process(tmp_path / "c-1.r-1.wav", seconds=2.0, sample_rate=16000)
    reclaimed = SpoolSink.reclaim(path, "mp3")
    assert reclaimed is not None
    sink, _ = reclaimed
    encoded = tmp_path / "out.mp3"
    encoded.write_bytes(b"".join(sink.chunks()))
    info = probe(encoded)
    assert info.format == "mp3" and info.sample_rate == 16000
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_a_spool_cut_inside_its_header_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c-1.r-1.wav"
    path.write_bytes(b"RIFF\xff\xff")
    reclaimed = SpoolSink.reclaim(path, "wav")
    assert reclaimed is not None
    sink, audio = reclaimed
    assert audio.frames == 0 and sink.error is not None and "header" in sink.error


def test_a_second_spool_for_one_recording_is_refused(tmp_path: Path) -> None:
    sink = SpoolSink.create(tmp_path / "c-1.r-1.wav", "wav", 8000, 1)
    sink.write(np.zeros((160, 1), dtype=np.int16))
    with pytest.raises(FileExistsError):
        SpoolSink.create(tmp_path / "c-1.r-1.wav", "wav", 8000, 1)
    sink.close()
    sink.discard()


def test_spool_names_carry_the_account_the_call_and_the_recording() -> None:
    assert parse_spool_name(spool_name("99", "c-1a", "r-2_b")) == SpoolName("99", "c-1a", "r-2_b")
    assert parse_spool_name("c-1a.r-2_b.wav") == SpoolName(None, "c-1a", "r-2_b")  # named before accounts
    for other in ("c-1.wav", "w.x.y.z.wav", ".r-1.wav", "a..r-1.wav", "c-1.r-1.mp3", "c-1.r-1.wav.part"):
        assert parse_spool_name(other) is None
