"""CallbackMethodEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class CallbackMethodEnum(WireEnum):
    """The HTTP method to use to deliver the callback (default POST)."""

    GET = "GET"
    POST = "POST"
