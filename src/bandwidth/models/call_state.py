"""CallState: the state of a live or finished call."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictStr

from bandwidth.models._wire import WireDatetime, WireModel
from bandwidth.models.call_direction_enum import CallDirectionEnum


class CallState(WireModel):
    """A call as Get Call State returns it."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "parent_call_id",
            "stir_shaken",
            "identity",
            "enqueued_time",
            "start_time",
            "answer_time",
            "end_time",
            "disconnect_cause",
            "error_message",
            "error_id",
        }
    )

    application_id: StrictStr | None = Field(default=None, alias="applicationId")
    account_id: StrictStr | None = Field(default=None, alias="accountId")
    call_id: StrictStr | None = Field(default=None, alias="callId")
    parent_call_id: StrictStr | None = Field(default=None, alias="parentCallId")
    to: StrictStr | None = None
    var_from: StrictStr | None = Field(default=None, alias="from")
    direction: CallDirectionEnum | None = None
    state: StrictStr | None = Field(default=None, description="queued, initiated, answered or disconnected.")
    stir_shaken: dict[str, StrictStr] | None = Field(default=None, alias="stirShaken")
    identity: StrictStr | None = None
    enqueued_time: WireDatetime | None = Field(default=None, alias="enqueuedTime")
    start_time: WireDatetime | None = Field(default=None, alias="startTime")
    answer_time: WireDatetime | None = Field(default=None, alias="answerTime")
    end_time: WireDatetime | None = Field(default=None, alias="endTime")
    disconnect_cause: StrictStr | None = Field(default=None, alias="disconnectCause")
    error_message: StrictStr | None = Field(default=None, alias="errorMessage")
    error_id: StrictStr | None = Field(default=None, alias="errorId")
    last_update: WireDatetime | None = Field(default=None, alias="lastUpdate")
