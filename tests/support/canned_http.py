"""A canned-response HTTP server on 127.0.0.1 for the client tests (the edge of the machine)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

STREAM_CHUNK = 64 * 1024


@dataclass
class CannedResponse:
    status: int = 200
    body: bytes | Path | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> tuple[bytes | Path, str | None]:
        """The body (bytes, or a file to stream) and its default Content-Type."""
        if isinstance(self.body, bytes | Path):
            return self.body, None
        return json.dumps(self.body).encode(), "application/json"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class CannedServer:
    """Answers (method, path) with queued canned responses; records every request it gets.

    Responses queued for a route are served in order; the last one keeps being served.
    Unknown routes get a 404 VoiceApiError.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._routes: dict[tuple[str, str], list[CannedResponse]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, method: str, path: str, *responses: CannedResponse) -> None:
        with self._lock:
            self._routes.setdefault((method, path), []).extend(responses)

    def respond(self, method: str, path: str) -> CannedResponse:
        with self._lock:
            queue = self._routes.get((method, path))
            if not queue:
                return CannedResponse(404, {"type": "not-found", "description": f"no route {method} {path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: CannedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.record(
                RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    raw_query=parts.query,
                    headers={key: value for key, value in self.headers.items()},
                    body=body,
                )
            )
            self._write(server.respond(self.command, parts.path))

        def _write(self, canned: CannedResponse) -> None:
            payload, content_type = canned.payload()
            size = payload.stat().st_size if isinstance(payload, Path) else len(payload)
            self.send_response(canned.status)
            headers = {"Content-Length": str(size), **canned.headers}
            if content_type and "Content-Type" not in headers:
                headers["Content-Type"] = content_type
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if isinstance(payload, Path):
                with payload.open("rb") as source:
                    while chunk := source.read(STREAM_CHUNK):
                        self.wfile.write(chunk)
            else:
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler
