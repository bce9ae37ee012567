"""RecordingTranscriptions: the body of Get Transcription."""

from __future__ import annotations

from pydantic import Field

from bandwidth.models._wire import WireModel
from bandwidth.models.recording_transcription_clip import RecordingTranscriptionClip
from bandwidth.models.transcription import Transcription


class RecordingTranscriptions(WireModel):
    """One transcript per speaker, plus the timed clips."""

    transcripts: list[Transcription] | None = None
    clips: list[RecordingTranscriptionClip] | None = Field(
        default=None, description="Individual speech clips with speaker, timing and confidence."
    )
