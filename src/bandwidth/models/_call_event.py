"""Fields that every call webhook body starts with (a private base, not a wire model of its own)."""

from __future__ import annotations

from pydantic import Field, StrictStr

from bandwidth.models._wire import WireDatetime, WireModel
from bandwidth.models.call_direction_enum import CallDirectionEnum


class CallEvent(WireModel):
    """eventType, eventTime, accountId, applicationId, from, to, direction, callId, callUrl."""

    event_type: StrictStr | None = Field(default=None, alias="eventType", description="The event type.")
    event_time: WireDatetime | None = Field(
        default=None, alias="eventTime", description="Approximate UTC time the event was generated."
    )
    account_id: StrictStr | None = Field(
        default=None, alias="accountId", description="The account of the call."
    )
    application_id: StrictStr | None = Field(
        default=None, alias="applicationId", description="The id of the application of the call."
    )
    var_from: StrictStr | None = Field(default=None, alias="from", description="The caller (E.164).")
    to: StrictStr | None = Field(default=None, description="The number that received the call (E.164).")
    direction: CallDirectionEnum | None = None
    call_id: StrictStr | None = Field(default=None, alias="callId", description="The call id.")
    call_url: StrictStr | None = Field(default=None, alias="callUrl", description="The URL of the call.")
