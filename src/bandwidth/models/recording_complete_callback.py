"""RecordingCompleteCallback: sent after a <Record> verb has executed while the call is still active."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictInt, StrictStr

from bandwidth.models._call_event import CallEvent
from bandwidth.models._wire import WireDatetime
from bandwidth.models.file_format_enum import FileFormatEnum


class RecordingCompleteCallback(CallEvent):
    """The recordingComplete webhook body."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"media_url", "enqueued_time", "answer_time", "tag"}
    )

    parent_call_id: StrictStr | None = Field(
        default=None, alias="parentCallId", description="The A-leg call id."
    )
    recording_id: StrictStr | None = Field(default=None, alias="recordingId", description="The recording id.")
    media_url: StrictStr | None = Field(
        default=None, alias="mediaUrl", description="Where to download the media."
    )
    enqueued_time: WireDatetime | None = Field(default=None, alias="enqueuedTime")
    start_time: WireDatetime | None = Field(default=None, alias="startTime")
    answer_time: WireDatetime | None = Field(default=None, alias="answerTime")
    end_time: WireDatetime | None = Field(default=None, alias="endTime")
    duration: StrictStr | None = Field(default=None, description="ISO-8601 duration of the recording.")
    file_format: FileFormatEnum | None = Field(default=None, alias="fileFormat")
    channels: StrictInt | None = None
    tag: StrictStr | None = None
    transfer_caller_id: StrictStr | None = Field(default=None, alias="transferCallerId")
    transfer_to: StrictStr | None = Field(default=None, alias="transferTo")
