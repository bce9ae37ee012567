"""Waveform peaks decoded from a stream of chunks: per channel, per slice, for WAV and MP3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.domain.waveform import MAX_PEAKS_PER_CHANNEL, WaveformPeaks
from callvault.media.audio import Mp3Writer, WavWriter
from callvault.media.peaks import PeaksDecodeError, compute_peaks


def _chunks(path: Path, size: int = 4096) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(size):
            yield block


def _halves(path: Path, writer_type: type, rate: int = 8000, seconds: float = 4.0) -> Path:
    """Channel 1 loud in the first half only, channel 2 loud (at half scale) in the second half only."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    tone = np.sin(2 * np.pi * 300 * t)
    first = np.where(t < seconds / 2, 0.9 * tone, 0.0)
    second = np.where(t >= seconds / 2, 0.45 * tone, 0.0)
    frames = (np.stack([first, second], axis=1) * 32767).astype(np.int16)
    with path.open("wb") as f:
        writer = writer_type(f, rate, 2)
        writer.write(frames)
        writer.close()
    return path


@pytest.mark.parametrize("writer_type,suffix", [(WavWriter, "wav"), (Mp3Writer, "mp3")])
def test_peaks_follow_each_channel(tmp_path: Path, writer_type: type, suffix: str) -> None:
    path = _halves(tmp_path / f"halves.{suffix}", writer_type)
    peaks = compute_peaks(_chunks(path), duration_seconds=4.0, channels=2)
    assert peaks.peaks_per_channel == 200 and peaks.channels == 2
    first, second = (np.frombuffer(level, dtype=np.uint8) / 255 for level in peaks.levels)
    # away from the switch (and the MP3 codec's edges), each channel is loud exactly where it should be
    assert first[10:90].min() > 0.8 and first[110:190].max() < 0.05
    assert second[10:90].max() < 0.05 and second[110:190].min() > 0.38 and second[110:190].max() < 0.55


def test_peaks_stay_small_for_long_recordings_and_round_trip(tmp_path: Path) -> None:
    path = _halves(tmp_path / "long.wav", WavWriter, rate=8000, seconds=90.0)
    peaks = compute_peaks(_chunks(path, 65536), duration_seconds=90.0, channels=2)
    assert peaks.peaks_per_channel == MAX_PEAKS_PER_CHANNEL
    assert len(peaks.to_bytes()) == 2 * MAX_PEAKS_PER_CHANNEL
    again = WaveformPeaks.from_bytes(2, peaks.peaks_per_channel, 90.0, peaks.to_bytes())
    assert again == peaks
    assert max(again.as_fractions()[0]) <= 1.0


def test_bytes_that_are_not_audio_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF but not really audio" * 100)
    with pytest.raises(PeaksDecodeError):
        compute_peaks(_chunks(junk), duration_seconds=1.0, channels=1)
