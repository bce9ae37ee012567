"""MachineDetectionModeEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class MachineDetectionModeEnum(WireEnum):
    """The machine detection mode: `async` sends a machineDetectionComplete callback, `sync` waits."""

    SYNC = "sync"
    ASYNC = "async"
