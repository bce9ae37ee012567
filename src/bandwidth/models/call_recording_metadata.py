"""CallRecordingMetadata: a recording as Get Call Recording and the list methods return it."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictInt, StrictStr

from bandwidth.models._wire import WireDatetime, WireModel
from bandwidth.models.call_direction_enum import CallDirectionEnum
from bandwidth.models.file_format_enum import FileFormatEnum
from bandwidth.models.recording_transcription_metadata import RecordingTranscriptionMetadata


class CallRecordingMetadata(WireModel):
    """Metadata of one call recording."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"media_url", "transcription"})

    application_id: StrictStr | None = Field(
        default=None, alias="applicationId", description="The id of the application of the call."
    )
    account_id: StrictStr | None = Field(
        default=None, alias="accountId", description="The account of the call."
    )
    call_id: StrictStr | None = Field(default=None, alias="callId", description="The call id.")
    parent_call_id: StrictStr | None = Field(
        default=None,
        alias="parentCallId",
        description="The A-leg call id when this is the B-leg of a <Transfer>.",
    )
    recording_id: StrictStr | None = Field(default=None, alias="recordingId", description="The recording id.")
    to: StrictStr | None = Field(default=None, description="The number that received the call (E.164).")
    var_from: StrictStr | None = Field(default=None, alias="from", description="The caller (E.164).")
    transfer_caller_id: StrictStr | None = Field(
        default=None, alias="transferCallerId", description="The from number of the B-leg call."
    )
    transfer_to: StrictStr | None = Field(
        default=None, alias="transferTo", description="The to number of the B-leg call."
    )
    duration: StrictStr | None = Field(default=None, description="ISO-8601 duration, e.g. PT13.67S.")
    direction: CallDirectionEnum | None = None
    channels: StrictInt | None = Field(default=None, description="Number of audio channels.")
    start_time: WireDatetime | None = Field(default=None, alias="startTime", description="Recording start.")
    end_time: WireDatetime | None = Field(default=None, alias="endTime", description="Recording end.")
    file_format: FileFormatEnum | None = Field(default=None, alias="fileFormat")
    status: StrictStr | None = Field(
        default=None, description="processing, partial, complete, deleted or error (tolerate others)."
    )
    media_url: StrictStr | None = Field(
        default=None, alias="mediaUrl", description="Where to download the media."
    )
    transcription: RecordingTranscriptionMetadata | None = None
    recording_name: StrictStr | None = Field(
        default=None, alias="recordingName", description="A name to identify this recording."
    )
