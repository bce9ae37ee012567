"""CreateCall: the body of the Create Call request (live calls)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool, StrictStr

from bandwidth.models._constraints import (
    CallbackTimeout,
    CallbackUrl,
    CallPriority,
    CallTimeout,
    Credential,
    DisplayName,
    Tag,
)
from bandwidth.models._wire import WireModel
from bandwidth.models.callback_method_enum import CallbackMethodEnum
from bandwidth.models.machine_detection_configuration import MachineDetectionConfiguration


class CreateCall(WireModel):
    """An outbound call to place; ``to``, ``from``, ``applicationId`` and ``answerUrl`` are required."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "privacy",
            "display_name",
            "uui",
            "answer_method",
            "username",
            "password",
            "answer_fallback_url",
            "answer_fallback_method",
            "fallback_username",
            "fallback_password",
            "disconnect_url",
            "disconnect_method",
            "call_timeout",
            "callback_timeout",
            "priority",
            "tag",
        }
    )

    to: StrictStr = Field(description="The destination: an E.164 number or a SIP URI.")
    var_from: StrictStr = Field(alias="from", description="A number of your account, E.164.")
    privacy: StrictBool | None = Field(default=None, description="Hide the calling number.")
    display_name: DisplayName | None = Field(default=None, alias="displayName")
    uui: StrictStr | None = Field(default=None, description="User-To-User headers for SIP URI calls.")
    application_id: StrictStr = Field(
        alias="applicationId", description="The application of the `from` number."
    )
    answer_url: CallbackUrl = Field(alias="answerUrl", description="Where to send the answer event.")
    answer_method: CallbackMethodEnum | None = Field(default=CallbackMethodEnum.POST, alias="answerMethod")
    username: Credential | None = None
    password: Credential | None = None
    answer_fallback_url: CallbackUrl | None = Field(default=None, alias="answerFallbackUrl")
    answer_fallback_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="answerFallbackMethod"
    )
    fallback_username: Credential | None = Field(default=None, alias="fallbackUsername")
    fallback_password: Credential | None = Field(default=None, alias="fallbackPassword")
    disconnect_url: CallbackUrl | None = Field(default=None, alias="disconnectUrl")
    disconnect_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="disconnectMethod"
    )
    call_timeout: CallTimeout | None = Field(default=30, alias="callTimeout")
    callback_timeout: CallbackTimeout | None = Field(default=15, alias="callbackTimeout")
    machine_detection: MachineDetectionConfiguration | None = Field(default=None, alias="machineDetection")
    priority: CallPriority | None = Field(default=5, description="1 (highest) to 5.")
    tag: Tag | None = None
