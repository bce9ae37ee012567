"""Deliver one webhook to a customer's callback URL, with Bandwidth's retry policy.

Policy, per attempt:

* 2xx: delivered; the (capped) response body is kept, because the reply to an ``answer``
  webhook is BXML.
* 5xx: retried after a bounded exponential backoff (``backoff_base * 2**k``, at most
  ``backoff_cap`` seconds), up to ``max_5xx_retries`` retries.
* any other status (3xx redirects are not followed, 4xx): failed, no retry.
* connection failure (refused, reset, DNS, connect/read/write timeout, the server closing
  without an answer): retried ONCE in the whole delivery, after ``backoff_base`` seconds.
* a destination the ``DestinationPolicy`` refuses (loopback, private, link-local, ...; see
  ``webhooks.destinations``): failed, no retry, the attempt's error says why.

``POST`` sends the body as JSON. ``GET`` sends it as query parameters merged into the URL's own
query: nested objects are flattened into dotted keys (``transcription.id=t-1``), lists are
JSON-encoded, booleans are ``true``/``false``, ``None`` values are left out.

Every attempt is reported to ``on_attempt`` as soon as it ends, before any backoff sleep, so
the caller can record it durably. Network errors never raise: they end up in the result.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Literal

import httpx

from callvault.domain.backoff import exponential_backoff
from callvault.domain.limits import WEBHOOK_TIMEOUT_SECONDS
from callvault.webhooks.destinations import BlockedDestination, DestinationPolicy, guarded_client

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "AttemptCallback",
    "USER_AGENT",
    "DeliveryAttempt",
    "DeliveryResult",
    "WebhookRequest",
    "deliver",
    "flatten_query",
    "request_url",
]

RESPONSE_BODY_LIMIT = 64 * 1024

Outcome = Literal["delivered", "retry", "failed"]

# Errors after which the same request may succeed on a fresh connection.
_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
_CONNECTION_RETRIES = 1


def _package_version() -> str:
    try:
        return metadata.version("callvault")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"callvault-webhooks/{_package_version()}"


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook to send; a webhook job's payload is its `to_payload()`."""

    url: str
    method: Literal["POST", "GET"]
    body: dict[str, Any]
    username: str | None = None
    password: str | None = None
    timeout: float = WEBHOOK_TIMEOUT_SECONDS

    @property
    def event_type(self) -> str:
        return str(self.body.get("eventType", "unknown"))

    def to_payload(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method,
            "body": self.body,
            "username": self.username,
            "password": self.password,
            "timeout": self.timeout,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookRequest:
        return cls(
            url=str(payload["url"]),
            method="GET" if str(payload.get("method", "POST")).upper() == "GET" else "POST",
            body=dict(payload["body"]),
            username=payload.get("username"),
            password=payload.get("password"),
            timeout=float(payload.get("timeout") or WEBHOOK_TIMEOUT_SECONDS),
        )


@dataclass(frozen=True)
class DeliveryAttempt:
    number: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None
    outcome: Outcome


AttemptCallback = Callable[[DeliveryAttempt], None]


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    # Body of the last response received (whatever its status), at most RESPONSE_BODY_LIMIT bytes;
    # None when no response arrived at all.
    response_body: bytes | None = None

    @property
    def status_code(self) -> int | None:
        return self.attempts[-1].status_code if self.attempts else None


@dataclass(frozen=True)
class _Exchange:
    """What one attempt produced before the retry policy judged it."""

    status_code: int | None
    body: bytes | None
    error: str | None
    connection_failed: bool


def deliver(
    req: WebhookRequest,
    *,
    policy: DestinationPolicy,
    on_attempt: AttemptCallback | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_5xx_retries: int = 3,
    backoff_base: float = 0.5,
    backoff_cap: float = 8.0,
) -> DeliveryResult:
    """Send ``req`` until it is delivered or the policy gives up.

    Raises ValueError for a request that can never be sent (not an http/https URL, unknown method);
    never raises for network errors, refused destinations or HTTP statuses. Without ``client`` the
    request goes through a client that reaches only what ``policy`` permits; a given ``client``
    (its own policy is the caller's business) stays open.
    """
    url = request_url(req)
    budget = _RetryBudget(max_5xx_retries, backoff_base, backoff_cap)
    if client is not None:
        return _deliver_with(client, req, url, budget, on_attempt, sleep)
    with guarded_client(policy, _tls_context()) as own_client:
        return _deliver_with(own_client, req, url, budget, on_attempt, sleep)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default certificate verification, built once per process: loading the CA bundle takes
    about 0.2 s, which a client per delivery would otherwise pay every time."""
    return httpx.create_ssl_context()


class _RetryBudget:
    """Which failures may be retried, how often, and after how long."""

    def __init__(self, max_5xx_retries: int, backoff_base: float, backoff_cap: float) -> None:
        self.connection_retries_left = _CONNECTION_RETRIES
        self.server_retries_used = 0
        self.max_5xx_retries = max_5xx_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    def retry_delay(self, exchange: _Exchange) -> float | None:
        """Seconds to wait before the next attempt, or None when there must be no next attempt."""
        if exchange.connection_failed and self.connection_retries_left > 0:
            self.connection_retries_left -= 1
            return exponential_backoff(0, self.backoff_base, self.backoff_cap)
        if _is_server_error(exchange.status_code) and self.server_retries_used < self.max_5xx_retries:
            self.server_retries_used += 1
            return exponential_backoff(self.server_retries_used - 1, self.backoff_base, self.backoff_cap)
        return None


def _deliver_with(
    client: httpx.Client,
    req: WebhookRequest,
    url: httpx.URL,
    budget: _RetryBudget,
    on_attempt: AttemptCallback | None,
    sleep: Callable[[float], None],
) -> DeliveryResult:
    request = _build_request(client, req, url)
    attempts: list[DeliveryAttempt] = []
    response_body: bytes | None = None
    while True:
        started_at = datetime.now(UTC)
        clock = time.perf_counter()
        exchange = _exchange(client, request, _basic_auth(req))
        duration_ms = (time.perf_counter() - clock) * 1000.0
        if exchange.body is not None:
            response_body = exchange.body
        retry_delay = budget.retry_delay(exchange)
        attempt = DeliveryAttempt(
            number=len(attempts) + 1,
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=exchange.status_code,
            error=exchange.error,
            outcome=_outcome(exchange, will_retry=retry_delay is not None),
        )
        attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        if retry_delay is None:
            delivered = attempt.outcome == "delivered"
            return DeliveryResult(delivered=delivered, attempts=attempts, response_body=response_body)
        sleep(retry_delay)


def _is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def _is_server_error(status_code: int | None) -> bool:
    return status_code is not None and 500 <= status_code < 600


def _outcome(exchange: _Exchange, will_retry: bool) -> Outcome:
    if _is_success(exchange.status_code) and not exchange.connection_failed:
        return "delivered"
    return "retry" if will_retry else "failed"


def _exchange(client: httpx.Client, request: httpx.Request, auth: httpx.Auth | None) -> _Exchange:
    try:
        response = client.send(request, auth=auth, stream=True, follow_redirects=False)
    except BlockedDestination as exc:
        return _Exchange(None, None, f"blocked: {exc}", connection_failed=False)
    except _CONNECTION_ERRORS as exc:
        return _Exchange(None, None, _describe(exc), connection_failed=True)
    except httpx.HTTPError as exc:
        return _Exchange(None, None, _describe(exc), connection_failed=False)
    try:
        body = _read_capped(response.iter_bytes(), RESPONSE_BODY_LIMIT)
    except _CONNECTION_ERRORS as exc:
        return _Exchange(response.status_code, None, _describe(exc), connection_failed=True)
    except httpx.HTTPError as exc:
        return _Exchange(response.status_code, None, _describe(exc), connection_failed=False)
    finally:
        response.close()
    return _Exchange(response.status_code, body, _status_error(response), connection_failed=False)


def _status_error(response: httpx.Response) -> str | None:
    if _is_success(response.status_code):
        return None
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _read_capped(chunks: Iterator[bytes], limit: int) -> bytes:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk[: limit - len(buffer)]
        if len(buffer) >= limit:
            break
    return bytes(buffer)


def _describe(exc: Exception) -> str:
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def request_url(req: WebhookRequest) -> httpx.URL:
    """The URL every attempt targets: for GET, the body merged into the URL's own query."""
    url = _checked_url(req.url)
    if req.method == "POST":
        return url
    if req.method == "GET":
        return url.copy_merge_params(tuple(flatten_query(req.body)))
    raise ValueError(f"unsupported webhook method {req.method!r}: use POST or GET")


def _build_request(client: httpx.Client, req: WebhookRequest, url: httpx.URL) -> httpx.Request:
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    content: bytes | None = None
    if req.method == "POST":
        headers["Content-Type"] = "application/json"
        content = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return client.build_request(
        req.method, url, headers=headers, content=content, timeout=httpx.Timeout(req.timeout)
    )


def _basic_auth(req: WebhookRequest) -> httpx.BasicAuth | None:
    if req.username is None and req.password is None:
        return None
    return httpx.BasicAuth(req.username or "", req.password or "")


def _checked_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise ValueError(f"invalid webhook URL {raw!r}: {exc}") from exc
    if url.scheme not in ("http", "https"):
        raise ValueError(f"webhook URL must be http or https, not {url.scheme or 'relative'!r}: {raw!r}")
    if not url.host:
        raise ValueError(f"webhook URL has no host: {raw!r}")
    return url


def flatten_query(body: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Query parameters for a GET webhook: dotted keys for nested objects, JSON for lists."""
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(flatten_query(value, prefix=f"{name}."))
        else:
            pairs.append((name, _query_value(value)))
    return pairs


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return json.dumps(list(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)
