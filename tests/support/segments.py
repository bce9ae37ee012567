"""Which stretches of a call's audio a recording is made of: where pauses cut it, to the sample."""

from __future__ import annotations

import io
import wave

import numpy as np

PROBE = 64


def noise(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """Noise audio: every 64-sample window is unique, so each recorded sample can be placed."""
    return np.random.default_rng(seed).integers(-12000, 12000, size=round(seconds * rate), dtype=np.int16)


def wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def recorded_segments(recorded: np.ndarray, audio: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) sample ranges of `audio` that `recorded` is made of, in order."""
    windows = np.lib.stride_tricks.sliding_window_view(audio, PROBE)
    segments, position, cursor = [], 0, 0
    while position + PROBE <= len(recorded):
        hits = np.nonzero((windows[cursor:] == recorded[position : position + PROBE]).all(axis=1))[0]
        assert len(hits), f"recorded sample {position} is not the call's audio"
        start = cursor + int(hits[0])
        limit = min(len(recorded) - position, len(audio) - start)
        mismatch = np.nonzero(recorded[position : position + limit] != audio[start : start + limit])[0]
        length = int(mismatch[0]) if len(mismatch) else limit
        segments.append((start, start + length))
        position += length
        cursor = start + length
    return segments
