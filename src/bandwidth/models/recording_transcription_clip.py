"""RecordingTranscriptionClip: one timed speech clip of a transcription."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from bandwidth.models._constraints import UnitInterval
from bandwidth.models._wire import WireModel


class RecordingTranscriptionClip(WireModel):
    """A speech clip with speaker, timing and confidence."""

    speaker: StrictInt | None = Field(default=None, description="Zero-based index identifying the speaker.")
    text: StrictStr | None = Field(default=None, description="The transcribed text of this clip.")
    confidence: UnitInterval | None = Field(
        default=None, description="How confident the engine was in this clip (0.0 to 1.0)."
    )
    start_time_seconds: StrictFloat | StrictInt | None = Field(
        default=None, alias="startTimeSeconds", description="Start of the clip within the recording, seconds."
    )
    end_time_seconds: StrictFloat | StrictInt | None = Field(
        default=None, alias="endTimeSeconds", description="End of the clip within the recording, seconds."
    )
