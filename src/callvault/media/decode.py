"""Streaming audio decoding for speech recognition.

Any container PyAV reads (WAV, MP3, ...) becomes per-channel float32 PCM at 16 kHz, yielded in chunks of
about ten minutes so that memory stays flat however long the recording (a 4-hour call included). Each
chunk is cut at the quietest 20 ms of the few seconds before its nominal end, so a boundary rarely falls
inside a word.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

__all__ = [
    "SPEECH_SAMPLE_RATE",
    "AudioChunk",
    "AudioDecodeError",
    "AudioInfo",
    "audio_duration",
    "iter_channel_chunks",
    "probe_audio",
]

SPEECH_SAMPLE_RATE = 16_000
DEFAULT_CHUNK_SECONDS = 600.0
CUT_SEARCH_SECONDS = 5.0
MIN_CHUNK_SECONDS = 1.0
_CUT_WINDOW_SECONDS = 0.02

FloatArray = npt.NDArray[np.float32]


class AudioDecodeError(Exception):
    """The file is not audio PyAV can decode (missing, corrupt, no audio stream)."""


@dataclass(frozen=True)
class AudioInfo:
    duration: float
    channels: int
    sample_rate: int


@dataclass(frozen=True)
class AudioChunk:
    """``channels[i]`` is channel i+1 as float32 in [-1, 1] at ``sample_rate``; ``start`` in seconds."""

    start: float
    channels: tuple[FloatArray, ...]
    sample_rate: int = SPEECH_SAMPLE_RATE

    @property
    def sample_count(self) -> int:
        return int(self.channels[0].shape[0]) if self.channels else 0

    @property
    def duration(self) -> float:
        return self.sample_count / self.sample_rate


def probe_audio(path: Path) -> AudioInfo:
    """Duration, channel count and native rate from the container; decodes (streaming) only if the
    container does not state its duration."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = _first_audio_stream(container, path)
            channels = stream.codec_context.channels
            sample_rate = stream.codec_context.sample_rate
            if stream.duration is not None and stream.time_base is not None:
                return AudioInfo(float(stream.duration * stream.time_base), channels, sample_rate)
            if container.duration is not None:
                return AudioInfo(container.duration / av.time_base, channels, sample_rate)
            decoded_samples = sum(frame.samples for frame in decoded_frames(container, stream))
            return AudioInfo(decoded_samples / sample_rate, channels, sample_rate)
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"cannot read audio from {path}: {exc}") from exc


def audio_duration(path: Path) -> float:
    """Length of the recording in seconds."""
    return probe_audio(path).duration


def iter_channel_chunks(
    path: Path,
    *,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    sample_rate: int = SPEECH_SAMPLE_RATE,
) -> Iterator[AudioChunk]:
    """Decode ``path`` and yield consecutive chunks of about ``chunk_seconds`` (the last may be shorter).

    Chunks tile the recording exactly: each one's ``start`` is the previous one's end.
    """
    if chunk_seconds < MIN_CHUNK_SECONDS:
        raise ValueError(f"chunk_seconds must be at least {MIN_CHUNK_SECONDS}")
    chunk_samples = int(chunk_seconds * sample_rate)
    search_samples = int(min(CUT_SEARCH_SECONDS, chunk_seconds / 10) * sample_rate)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = _first_audio_stream(container, path)
            resampler = av.AudioResampler(format="fltp", rate=sample_rate)
            buffer = _ChunkBuffer(sample_rate)
            for frame in decoded_frames(container, stream):
                for block in _resampled(resampler, frame):
                    buffer.append(block)
                while buffer.pending_samples >= chunk_samples:
                    yield buffer.take(
                        _quietest_cut(buffer.peek(chunk_samples), chunk_samples, search_samples)
                    )
            for block in _resampled(resampler, None):
                buffer.append(block)
            while buffer.pending_samples > chunk_samples:
                yield buffer.take(_quietest_cut(buffer.peek(chunk_samples), chunk_samples, search_samples))
            if buffer.pending_samples:
                yield buffer.take(buffer.pending_samples)
            del resampler
            gc.collect()  # PyAV resamplers hold native buffers until collected
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"cannot decode audio from {path}: {exc}") from exc


class _ChunkBuffer:
    """Decoded planar blocks waiting to be cut into chunks; tracks the position in the recording."""

    def __init__(self, sample_rate: int) -> None:
        self._blocks: list[FloatArray] = []
        self._sample_rate = sample_rate
        self._emitted_samples = 0
        self.pending_samples = 0

    def append(self, block: FloatArray) -> None:
        if block.shape[1]:
            self._blocks.append(block)
            self.pending_samples += int(block.shape[1])

    def peek(self, samples: int) -> FloatArray:
        """At least ``samples`` leading samples (channels x samples), merged into one block."""
        merged = np.concatenate(self._blocks, axis=1) if len(self._blocks) > 1 else self._blocks[0]
        self._blocks = [merged]
        return merged[:, :samples]

    def take(self, samples: int) -> AudioChunk:
        merged = np.concatenate(self._blocks, axis=1) if len(self._blocks) > 1 else self._blocks[0]
        head, rest = merged[:, :samples], merged[:, samples:]
        self._blocks = [np.ascontiguousarray(rest)] if rest.shape[1] else []
        self.pending_samples -= samples
        chunk = AudioChunk(
            start=self._emitted_samples / self._sample_rate,
            channels=tuple(np.ascontiguousarray(channel) for channel in head),
            sample_rate=self._sample_rate,
        )
        self._emitted_samples += samples
        return chunk


def _quietest_cut(head: FloatArray, nominal: int, search: int) -> int:
    """Sample index near the end of ``head`` (within ``search`` samples of ``nominal``) in the quietest
    20 ms window, summing energy over channels; among equally quiet windows, the latest."""
    window = max(1, int(_CUT_WINDOW_SECONDS * SPEECH_SAMPLE_RATE))
    low = max(1, nominal - search)
    region = head[:, low:nominal]
    windows = region.shape[1] // window
    if windows == 0:
        return nominal
    framed = region[:, : windows * window].reshape(region.shape[0], windows, window)
    energy = np.square(framed, dtype=np.float64).sum(axis=(0, 2))
    latest_quietest = windows - 1 - int(np.argmin(energy[::-1]))
    return low + latest_quietest * window + window // 2


def _first_audio_stream(container: av.container.InputContainer, path: Path) -> av.AudioStream:
    if not container.streams.audio:
        raise AudioDecodeError(f"{path} has no audio stream")
    return container.streams.audio[0]


def decoded_frames(container: av.container.InputContainer, stream: av.AudioStream) -> Iterator[av.AudioFrame]:
    """Decoded frames, skipping packets the decoder rejects (damaged MP3 frames) as players do."""
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        yield from frames


def _resampled(resampler: av.AudioResampler, frame: av.AudioFrame | None) -> Iterator[FloatArray]:
    for out in resampler.resample(frame):
        yield out.to_ndarray().astype(np.float32, copy=False)
