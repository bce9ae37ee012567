"""MachineDetectionConfiguration: answering-machine detection options of CreateCall."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictBool, StrictFloat, StrictInt

from bandwidth.models._constraints import CallbackUrl, Credential
from bandwidth.models._wire import WireModel
from bandwidth.models.callback_method_enum import CallbackMethodEnum
from bandwidth.models.machine_detection_mode_enum import MachineDetectionModeEnum


class MachineDetectionConfiguration(WireModel):
    """How to detect an answering machine on an outbound call."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "detection_timeout",
            "silence_timeout",
            "speech_threshold",
            "speech_end_threshold",
            "machine_speech_end_threshold",
            "delay_result",
            "callback_url",
            "callback_method",
            "username",
            "password",
            "fallback_url",
            "fallback_method",
            "fallback_username",
            "fallback_password",
        }
    )

    mode: MachineDetectionModeEnum | None = MachineDetectionModeEnum.ASYNC
    detection_timeout: StrictFloat | StrictInt | None = Field(default=15, alias="detectionTimeout")
    silence_timeout: StrictFloat | StrictInt | None = Field(default=10, alias="silenceTimeout")
    speech_threshold: StrictFloat | StrictInt | None = Field(default=10, alias="speechThreshold")
    speech_end_threshold: StrictFloat | StrictInt | None = Field(default=5, alias="speechEndThreshold")
    machine_speech_end_threshold: StrictFloat | StrictInt | None = Field(
        default=None, alias="machineSpeechEndThreshold"
    )
    delay_result: StrictBool | None = Field(default=False, alias="delayResult")
    callback_url: CallbackUrl | None = Field(default=None, alias="callbackUrl")
    callback_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="callbackMethod"
    )
    username: Credential | None = None
    password: Credential | None = None
    fallback_url: CallbackUrl | None = Field(default=None, alias="fallbackUrl")
    fallback_method: CallbackMethodEnum | None = Field(
        default=CallbackMethodEnum.POST, alias="fallbackMethod"
    )
    fallback_username: Credential | None = Field(default=None, alias="fallbackUsername")
    fallback_password: Credential | None = Field(default=None, alias="fallbackPassword")
