"""What a transcription produces: one transcript per channel and time-stamped clips."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ChannelTranscript", "Clip", "TranscriptionOutput", "Word"]


@dataclass(frozen=True)
class ChannelTranscript:
    """Everything said on one channel; ``confidence`` in 0..1."""

    text: str
    confidence: float


@dataclass(frozen=True)
class Word:
    """One word with its time in the recording (seconds); ``text`` as the engine wrote it."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Clip:
    """One utterance: ``speaker`` is the 0-based channel index, ``start``/``end`` in seconds;
    ``words`` only when word timings were asked for (they are not stored)."""

    speaker: int
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class TranscriptionOutput:
    """``transcripts[i]`` is channel i+1; ``clips`` sorted by start time; ``language`` an ISO 639-1 code."""

    transcripts: list[ChannelTranscript]
    clips: list[Clip]
    language: str
