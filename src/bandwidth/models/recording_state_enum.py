"""RecordingStateEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class RecordingStateEnum(WireEnum):
    """The recording state: `paused` to pause an active recording, `recording` to resume a paused one."""

    PAUSED = "paused"
    RECORDING = "recording"
