"""A redacted copy of a recording: the same audio, with given time spans replaced by silence or a
quiet 1 kHz tone on every channel. Streamed: decoded frame by frame, written as it goes, in the
recording's own format (WAV as PCM16, MP3 re-encoded), rate and channels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Literal

import av
import numpy as np
import numpy.typing as npt

from callvault.media.audio import Mp3Writer, WavWriter
from callvault.media.decode import AudioDecodeError, decoded_frames

TONE_HZ = 1000.0
TONE_LEVEL = 0.1  # of full scale: audible as "something was removed", never loud


def redact_audio(
    source: Path,
    out: BinaryIO,
    spans: Sequence[tuple[float, float]],
    *,
    file_format: str,
    fill: Literal["silence", "tone"] = "silence",
) -> None:
    """Write `source` to `out` with each (start, end) span in seconds filled."""
    try:
        with av.open(str(source), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioDecodeError(f"{source} has no audio stream")
            stream = container.streams.audio[0]
            rate, channels = stream.rate, stream.channels
            resampler = av.AudioResampler(format="s16", layout=stream.layout.name, rate=rate)
            writer: WavWriter | Mp3Writer = (
                Mp3Writer(out, rate, channels) if file_format == "mp3" else WavWriter(out, rate, channels)
            )
            position = 0
            for frame in decoded_frames(container, stream):
                for chunk in resampler.resample(frame):
                    position = _write(writer, chunk.to_ndarray(), channels, position, rate, spans, fill)
            for chunk in resampler.resample(None):
                position = _write(writer, chunk.to_ndarray(), channels, position, rate, spans, fill)
            writer.close()
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"cannot decode audio from {source}: {exc}") from exc


def _write(
    writer: WavWriter | Mp3Writer,
    packed: npt.NDArray[np.generic],
    channels: int,
    position: int,
    rate: int,
    spans: Sequence[tuple[float, float]],
    fill: str,
) -> int:
    frames = packed.reshape(-1, channels).copy()
    count = frames.shape[0]
    for start, end in spans:
        first = max(int(start * rate) - position, 0)
        last = min(int(end * rate) - position, count)
        if first >= last:
            continue
        if fill == "tone":
            times = (np.arange(position + first, position + last) / rate).reshape(-1, 1)
            frames[first:last] = (np.sin(2 * np.pi * TONE_HZ * times) * TONE_LEVEL * 32767).astype(np.int16)
        else:
            frames[first:last] = 0
    writer.write(frames)
    return position + count
