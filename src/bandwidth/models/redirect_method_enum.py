"""RedirectMethodEnum."""

from __future__ import annotations

from bandwidth.models._wire import WireEnum


class RedirectMethodEnum(WireEnum):
    """The HTTP method to use for the request to `redirectUrl` (default POST)."""

    GET = "GET"
    POST = "POST"
