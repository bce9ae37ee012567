"""Transcription: one speaker's transcript."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from bandwidth.models._wire import WireModel


class Transcription(WireModel):
    """The transcript of one speaker (channel) of a recording."""

    speaker: StrictInt | None = Field(default=None, description="Zero-based index identifying the speaker.")
    text: StrictStr | None = Field(default=None, description="The transcribed text.")
    confidence: StrictFloat | StrictInt | None = Field(
        default=None, description="Confidence on the recognized content, from 0.0 to 1.0."
    )
