"""Waveform peaks from a recording's bytes: decoded as a stream (PyAV reads the blob's chunks through a
file-like reader), one running maximum per slice, so memory stays flat whatever the length."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np

from callvault.domain.waveform import WaveformPeaks, peaks_per_channel_for

__all__ = ["PeaksDecodeError", "compute_peaks"]


class PeaksDecodeError(Exception):
    """The media could not be decoded."""


class _ChunkReader(io.RawIOBase):
    """A read-only, non-seekable file over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def compute_peaks(chunks: Iterator[bytes], *, duration_seconds: float, channels: int) -> WaveformPeaks:
    """Peaks of `channels` channels over `duration_seconds` (the recording's stored metadata)."""
    count = peaks_per_channel_for(duration_seconds)
    levels = np.zeros((channels, count), dtype=np.float32)
    try:
        with av.open(_ChunkReader(chunks), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise PeaksDecodeError("the media has no audio stream")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            total_samples = max(1, round(duration_seconds * rate))
            resampler = av.AudioResampler(format="fltp", rate=rate)
            position = 0
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        position = _accumulate(levels, out.to_ndarray(), position, total_samples)
            for out in resampler.resample(None):
                position = _accumulate(levels, out.to_ndarray(), position, total_samples)
    except av.FFmpegError as exc:
        raise PeaksDecodeError(f"cannot decode the media: {exc}") from exc
    quantised = np.clip(np.round(levels * 255), 0, 255).astype(np.uint8)
    return WaveformPeaks(channels, count, duration_seconds, tuple(row.tobytes() for row in quantised))


def _accumulate(levels: np.ndarray, block: np.ndarray, position: int, total_samples: int) -> int:
    """Fold one decoded block (channels x samples) into the per-slice maxima; returns the new position."""
    channels, count = levels.shape
    samples = block.shape[1]
    if samples == 0:
        return position
    slices = np.minimum((np.arange(position, position + samples) * count) // total_samples, count - 1)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(slices)) + 1))
    rows = min(channels, block.shape[0])
    loudest = np.maximum.reduceat(np.abs(block[:rows]), starts, axis=1)
    targets = slices[starts]
    levels[:rows, targets] = np.maximum(levels[:rows, targets], loudest)
    return position + samples
