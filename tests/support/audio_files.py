"""Real audio files for tests, written with callvault's own streaming writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from callvault.media.audio import Mp3Writer, WavWriter


def tone_frames(seconds: float, sample_rate: int, channels: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    columns = [(0.3 * 32767 * np.sin(2 * np.pi * freq * (c + 1) * t)) for c in range(channels)]
    return np.stack(columns, axis=1).astype(np.int16)


def write_wav(path: Path, *, seconds: float, sample_rate: int, channels: int) -> Path:
    with path.open("wb") as f:
        writer = WavWriter(f, sample_rate, channels)
        writer.write(tone_frames(seconds, sample_rate, channels))
        writer.close()
    return path


def write_mp3(path: Path, *, seconds: float, sample_rate: int, channels: int = 1) -> Path:
    with path.open("wb") as f:
        writer = Mp3Writer(f, sample_rate, channels)
        writer.write(tone_frames(seconds, sample_rate, channels))
        writer.close()
    return path
