"""The API's hottest read, answered without FastAPI's router: a pure ASGI middleware, inside the
access log, metrics and body limit, that sends `GET .../recordings/{recordingId}` straight to its
route function.

FastAPI's router and its request handling (matching the path against every route of both prefixes,
solving the route's parameters, wrapping it in its exception and exit-stack layers) cost more CPU per
request than the read itself. A direct route calls the same `async def` route function with the same
`Request` (path parameters, `route` and `endpoint` in its scope, as the router leaves them), so
authorisation, the access log, the metrics' route label and the error envelope are unchanged; the
route stays in the app for the OpenAPI document and for any request this middleware passes on.

A direct route's function takes the request and the path parameters (strings) and returns a Response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from re import Pattern

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from callvault.api.errors import voice_error_response
from callvault.domain.errors import VoiceApiError

Endpoint = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class DirectRoute:
    """A GET route's path template (with its prefix, as the metrics name it) and its function."""

    path: str
    endpoint: Endpoint
    path_regex: Pattern[str]

    @property
    def path_format(self) -> str:
        return self.path


def direct_route(path: str, endpoint: Endpoint) -> DirectRoute:
    path_regex, _path_format, _convertors = compile_path(path)  # the router's own rule for {name}
    return DirectRoute(path, endpoint, path_regex)


class DirectRoutes:
    """Pure ASGI middleware: a GET whose path matches a direct route goes to that route's function;
    every other request goes on to the app."""

    def __init__(self, app: ASGIApp, routes: Sequence[DirectRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)

    def _match(self, scope: Scope) -> tuple[DirectRoute, dict[str, str]] | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            return None
        path = scope["path"]
        for route in self.routes:
            found = route.path_regex.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self._match(scope)
        if matched is None:
            await self.app(scope, receive, send)
            return
        route, params = matched
        scope["path_params"] = params
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        try:
            response = await route.endpoint(Request(scope, receive, send), **params)
        except VoiceApiError as exc:
            response = voice_error_response(exc)
        await response(scope, receive, send)
