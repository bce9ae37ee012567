"""What a transcription produces: one transcript per channel and time-stamped clips."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChannelTranscript", "Clip", "TranscriptionOutput"]


@dataclass(frozen=True)
class ChannelTranscript:
    """Everything said on one channel; ``confidence`` in 0..1."""

    text: str
    confidence: float


@dataclass(frozen=True)
class Clip:
    """One utterance: ``speaker`` is the 0-based channel index, ``start``/``end`` in seconds."""

    speaker: int
    start: float
    end: float
    text: str
    confidence: float


@dataclass(frozen=True)
class TranscriptionOutput:
    """``transcripts[i]`` is channel i+1; ``clips`` sorted by start time; ``language`` an ISO 639-1 code."""

    transcripts: list[ChannelTranscript]
    clips: list[Clip]
    language: str
