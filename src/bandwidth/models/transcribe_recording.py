"""TranscribeRecording: the body of Create Transcription Request."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool, StrictStr

from bandwidth.models._constraints import CallbackTimeout, Credential
from bandwidth.models._wire import WireModel
from bandwidth.models.callback_method_enum import CallbackMethodEnum


class TranscribeRecording(WireModel):
    """Options of a transcription request; every field is optional."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"callback_method", "username", "password", "tag", "callback_timeout", "detect_language"}
    )

    callback_url: StrictStr | None = Field(
        default=None, alias="callbackUrl", description="Where to send the transcriptionAvailable event."
    )
    callback_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="callbackMethod"
    )
    username: Credential | None = Field(default=None, description="Basic auth username for the callback.")
    password: Credential | None = Field(default=None, description="Basic auth password for the callback.")
    tag: StrictStr | None = Field(default=None, description="Echoed back in the callback.")
    callback_timeout: CallbackTimeout | None = Field(
        default=15, alias="callbackTimeout", description="Callback delivery timeout in seconds (1 to 25)."
    )
    detect_language: StrictBool | None = Field(
        default=False, alias="detectLanguage", description="Detect the dominant language before transcribing."
    )
