"""CallDirectionEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class CallDirectionEnum(WireEnum):
    """The direction of the call."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
