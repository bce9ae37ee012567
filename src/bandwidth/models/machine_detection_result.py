"""MachineDetectionResult: the result of a sync-mode machine detection."""

from __future__ import annotations

from pydantic import Field, StrictStr

from bandwidth.models._wire import WireModel


class MachineDetectionResult(WireModel):
    """answering-machine, human, silence, timeout or error, and how long it took."""

    value: StrictStr | None = Field(
        default=None, description="answering-machine, human, silence, timeout, error."
    )
    duration: StrictStr | None = Field(default=None, description="The time it took to determine the result.")
