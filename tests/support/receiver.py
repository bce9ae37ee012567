"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that records what it gets.

    with WebhookReceiver() as receiver:
        receiver.script("/hook", [503, 503, 200])           # then 200 forever
        receiver.script("/answer", [200], body=b"<Response/>", content_type="application/xml")
        receiver.script("/slow", [200], delay=2.0)           # answer after 2 s (provokes timeouts)
        ... deliver to receiver.url("/hook") ...
        [first, *rest] = receiver.wait_for(3, timeout=5)

Register the fixture in a conftest with ``from support.receiver import webhook_receiver``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

__all__ = [
    "ReceivedRequest",
    "ScriptedResponse",
    "WebhookReceiver",
    "closed_port_url",
    "webhook_receiver",
]


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]  # last value wins for a repeated name; query_pairs keeps them all
    query_pairs: list[tuple[str, str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    json: Any  # the parsed body, or None when it is not JSON
    received_at: datetime
    monotonic: float  # time.monotonic() on arrival, to measure gaps between attempts

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """(username, password) from an ``Authorization: Basic`` header, else None."""
        scheme, _, token = (self.header("authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, _, password = decoded.partition(":")
        return username, password


@dataclass(frozen=True)
class ScriptedResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Script:
    queue: deque[ScriptedResponse]
    then: ScriptedResponse


class WebhookReceiver:
    """Records every request; answers each path from its script (default: 200, empty body)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        self._scripts: dict[str, _Script] = {}
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        server = ThreadingHTTPServer((self._host, 0), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers sleeping in a scripted delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the receiver is not running")
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://{self._host}:{self.port}{path}"

    # -- scripting ---------------------------------------------------------------------------------

    def script(
        self,
        path: str,
        statuses: Iterable[int | ScriptedResponse] = (),
        *,
        then: int | ScriptedResponse = 200,
        body: bytes | str = b"",
        content_type: str = "text/plain",
        delay: float = 0.0,
    ) -> None:
        """Answer the next requests to ``path`` with ``statuses`` in turn, then with ``then`` forever.

        ``body``, ``content_type`` and ``delay`` apply to every status given as an int.
        """
        raw_body = body.encode("utf-8") if isinstance(body, str) else body

        def response(item: int | ScriptedResponse) -> ScriptedResponse:
            if isinstance(item, ScriptedResponse):
                return item
            return ScriptedResponse(status=item, body=raw_body, content_type=content_type, delay=delay)

        with self._lock:
            self._scripts[path] = _Script(deque(response(item) for item in statuses), response(then))

    def _next_response(self, path: str) -> ScriptedResponse:
        with self._lock:
            script = self._scripts.get(path)
            if script is None:
                return ScriptedResponse()
            return script.queue.popleft() if script.queue else script.then

    # -- what arrived --------------------------------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for(
        self, predicate_or_count: int | Callable[[ReceivedRequest], bool] = 1, timeout: float = 5.0
    ) -> list[ReceivedRequest]:
        """Wait until ``count`` requests arrived (returns them all) or until at least one request
        matches ``predicate`` (returns the matching ones). AssertionError on timeout."""
        matching = _matcher(predicate_or_count)
        deadline = time.monotonic() + timeout
        with self._lock:
            while (found := matching(self._requests)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"webhook receiver: waited {timeout}s for {predicate_or_count!r}, "
                        f"got {len(self._requests)} request(s): {[r.path for r in self._requests]}"
                    )
                self._lock.wait(left)
            return found

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


def _matcher(
    predicate_or_count: int | Callable[[ReceivedRequest], bool],
) -> Callable[[list[ReceivedRequest]], list[ReceivedRequest] | None]:
    if isinstance(predicate_or_count, int):
        count = predicate_or_count
        return lambda requests: list(requests) if len(requests) >= count else None
    predicate = predicate_or_count

    def match(requests: list[ReceivedRequest]) -> list[ReceivedRequest] | None:
        found = [request for request in requests if predicate(request)]
        return found or None

    return match


def _handler_class(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "callvault-test-receiver"

        def _serve(self) -> None:
            receiver._record(self._received())
            scripted = receiver._next_response(urlsplit(self.path).path)
            receiver._pause(scripted.delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(scripted)  # fails when the client gave up (timeout) before the answer

        def _received(self) -> ReceivedRequest:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            return ReceivedRequest(
                method=self.command,
                path=parts.path,
                query=dict(pairs),
                query_pairs=pairs,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                json=_parse_json(body),
                received_at=datetime.now(UTC),
                monotonic=time.monotonic(),
            )

        def _answer(self, scripted: ScriptedResponse) -> None:
            self.send_response(scripted.status)
            self.send_header("Content-Type", scripted.content_type)
            self.send_header("Content-Length", str(len(scripted.body)))
            for name, value in scripted.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(scripted.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


_reserved_lock = threading.Lock()
_reserved_socket: socket.socket | None = None


def closed_port_url(path: str = "/hook") -> str:
    """A URL on 127.0.0.1 whose port refuses connections.

    The port is bound (so no other process can take it) but never listened on, for the life of the
    test process: connecting to it is refused at once.
    """
    global _reserved_socket
    with _reserved_lock:
        if _reserved_socket is None:
            reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            reserved.bind(("127.0.0.1", 0))
            _reserved_socket = reserved
        port = _reserved_socket.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
