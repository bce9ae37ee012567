"""A channel's speech as the decoder takes it: where the channel speaks (voice-activity detection's
spans), that speech with the silences removed, and the windows it is decoded in.

The batched decoder packs whole speech pieces into windows of up to 30 s (Whisper's window) and decodes
`batch_size` of them at a time; those batches are the units of work the engine's workers share
(:meth:`ChannelSpeech.batches`), so a channel with more speech than the other does not leave a core
idle. The sequential decoder takes the speech whole. The decoder's timestamps are on the speech;
:func:`faster_whisper.transcribe.restore_speech_timestamps` maps them back onto the channel's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from faster_whisper.vad import collect_chunks

__all__ = ["WINDOW_SECONDS", "ChannelSpeech", "SpeechSpans", "SpeechWindow"]

WINDOW_SECONDS = 30
"""Whisper's window: the batched decoder's windows hold at most this much speech."""

FloatArray = npt.NDArray[np.float32]
SpeechSpans = Sequence[dict[str, int]]
"""Where a channel speaks: voice-activity detection's ``{"start", "end"}`` sample ranges, in order."""
SpeechWindow = dict[str, float]
"""``{"start", "end"}`` in seconds of the speech (silences removed): faster-whisper's clip timestamps."""


@dataclass(frozen=True)
class ChannelSpeech:
    """One channel's speech, silences removed, cut into decoding windows."""

    spans: SpeechSpans
    speech: FloatArray
    windows: tuple[SpeechWindow, ...]

    @classmethod
    def of(cls, samples: FloatArray, spans: SpeechSpans, *, windowed: bool) -> ChannelSpeech:
        """The speech of `samples` at `spans`: in windows of up to WINDOW_SECONDS of whole pieces
        (`windowed`), else in one."""
        if not spans:
            return cls(spans, np.zeros(0, dtype=np.float32), ())
        pieces, packed = collect_chunks(
            samples, list(spans), max_duration=WINDOW_SECONDS if windowed else float("inf")
        )
        windows = tuple({"start": w["offset"], "end": w["offset"] + w["duration"]} for w in packed)
        return cls(spans, np.concatenate(pieces), windows)

    def batches(self, batch_size: int) -> list[tuple[SpeechWindow, ...]]:
        """The windows in groups of `batch_size` (0: all in one), in order."""
        size = batch_size or len(self.windows) or 1
        return [self.windows[start : start + size] for start in range(0, len(self.windows), size)]
