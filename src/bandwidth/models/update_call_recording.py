"""UpdateCallRecording: the body of Update Recording (pause / resume)."""

from __future__ import annotations

from bandwidth.models._wire import WireModel
from bandwidth.models.recording_state_enum import RecordingStateEnum


class UpdateCallRecording(WireModel):
    """The wanted recording state; ``state`` is required."""

    state: RecordingStateEnum
