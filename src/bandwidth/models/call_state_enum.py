"""CallStateEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class CallStateEnum(WireEnum):
    """The call state: `active` to redirect the call, `completed` to hang it up."""

    ACTIVE = "active"
    COMPLETED = "completed"
