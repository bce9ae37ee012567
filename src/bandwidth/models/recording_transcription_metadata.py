"""RecordingTranscriptionMetadata: the `transcription` member of CallRecordingMetadata."""

from __future__ import annotations

from pydantic import Field, StrictStr

from bandwidth.models._wire import WireDatetime, WireModel


class RecordingTranscriptionMetadata(WireModel):
    """If the recording was transcribed, metadata about the transcription."""

    id: StrictStr | None = Field(default=None, description="The unique transcription ID.")
    status: StrictStr | None = Field(
        default=None,
        description="none, processing, available, error, timeout, file-size-too-big or file-size-too-small.",
    )
    completed_time: WireDatetime | None = Field(
        default=None, alias="completedTime", description="When the transcription was completed."
    )
    url: StrictStr | None = Field(default=None, description="The URL of the transcription.")
