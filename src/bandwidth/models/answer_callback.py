"""AnswerCallback: sent to answerUrl when an outbound call is answered."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictStr

from bandwidth.models._call_event import CallEvent
from bandwidth.models._wire import WireDatetime
from bandwidth.models.machine_detection_result import MachineDetectionResult


class AnswerCallback(CallEvent):
    """The answer webhook body."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"enqueued_time", "answer_time", "tag", "machine_detection_result"}
    )

    enqueued_time: WireDatetime | None = Field(default=None, alias="enqueuedTime")
    start_time: WireDatetime | None = Field(default=None, alias="startTime")
    answer_time: WireDatetime | None = Field(default=None, alias="answerTime")
    tag: StrictStr | None = None
    machine_detection_result: MachineDetectionResult | None = Field(
        default=None, alias="machineDetectionResult"
    )
    sip_call_id: StrictStr | None = Field(
        default=None, alias="sipCallId", description="The SIP Call-ID of the call's current dialog."
    )
