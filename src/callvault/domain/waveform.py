"""Waveform peaks: per channel, the loudest absolute sample of each of a fixed number of equal slices
of the recording, quantised to one byte (0..255 = 0..full scale). A few KB whatever the call's length."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Enough for a sharp waveform on a wide screen; 2 channels x 2,000 = 4 KB.
MAX_PEAKS_PER_CHANNEL = 2000
PEAKS_PER_SECOND = 50


def peaks_per_channel_for(duration_seconds: float) -> int:
    return max(1, min(MAX_PEAKS_PER_CHANNEL, math.ceil(duration_seconds * PEAKS_PER_SECOND)))


@dataclass(frozen=True)
class WaveformPeaks:
    channels: int
    peaks_per_channel: int
    duration_seconds: float
    levels: tuple[bytes, ...]  # one per channel, each `peaks_per_channel` bytes

    def to_bytes(self) -> bytes:
        return b"".join(self.levels)

    @classmethod
    def from_bytes(
        cls, channels: int, peaks_per_channel: int, duration_seconds: float, data: bytes
    ) -> WaveformPeaks:
        levels = tuple(data[i * peaks_per_channel : (i + 1) * peaks_per_channel] for i in range(channels))
        return cls(channels, peaks_per_channel, duration_seconds, levels)

    def as_fractions(self) -> list[list[float]]:
        """Each channel's peaks as 0..1, as waveform renderers take them."""
        return [[round(level / 255, 3) for level in channel] for channel in self.levels]
