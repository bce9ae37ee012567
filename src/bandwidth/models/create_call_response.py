"""CreateCallResponse: the body returned by Create Call."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from bandwidth.models._constraints import Credential
from bandwidth.models._wire import WireDatetime, WireModel
from bandwidth.models.callback_method_enum import CallbackMethodEnum


class CreateCallResponse(WireModel):
    """The call that was created."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "enqueued_time",
            "tag",
            "answer_method",
            "answer_fallback_method",
            "answer_fallback_url",
            "disconnect_method",
            "disconnect_url",
            "username",
            "password",
            "fallback_username",
            "fallback_password",
            "priority",
        }
    )

    application_id: StrictStr = Field(alias="applicationId")
    account_id: StrictStr = Field(alias="accountId")
    call_id: StrictStr = Field(alias="callId")
    to: StrictStr
    var_from: StrictStr = Field(alias="from")
    enqueued_time: WireDatetime | None = Field(default=None, alias="enqueuedTime")
    call_url: StrictStr = Field(alias="callUrl")
    call_timeout: StrictFloat | StrictInt | None = Field(default=None, alias="callTimeout")
    callback_timeout: StrictFloat | StrictInt | None = Field(default=None, alias="callbackTimeout")
    tag: StrictStr | None = None
    answer_method: CallbackMethodEnum | None = Field(alias="answerMethod")
    answer_url: StrictStr = Field(alias="answerUrl")
    answer_fallback_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="answerFallbackMethod"
    )
    answer_fallback_url: StrictStr | None = Field(default=None, alias="answerFallbackUrl")
    disconnect_method: CallbackMethodEnum | None = Field(alias="disconnectMethod")
    disconnect_url: StrictStr | None = Field(default=None, alias="disconnectUrl")
    username: Credential | None = None
    password: Credential | None = None
    fallback_username: Credential | None = Field(default=None, alias="fallbackUsername")
    fallback_password: Credential | None = Field(default=None, alias="fallbackPassword")
    priority: StrictInt | None = None
