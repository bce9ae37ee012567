"""deliver() against a real HTTP receiver on 127.0.0.1: methods, auth, retries, timeouts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import httpx
import pytest

from callvault.webhooks import delivery
from callvault.webhooks.delivery import (
    RESPONSE_BODY_LIMIT,
    USER_AGENT,
    DeliveryAttempt,
    DeliveryResult,
    WebhookRequest,
    flatten_query,
)
from callvault.webhooks.destinations import DestinationPolicy
from support.receiver import ScriptedResponse, WebhookReceiver, closed_port_url

LOOPBACK_ALLOWED = DestinationPolicy.from_setting(["127.0.0.0/8"])


def deliver(request: WebhookRequest, **options: Any) -> DeliveryResult:
    """deliver() with the receiver's loopback address allowed, as CALLVAULT_CALLBACK_ALLOW does."""
    return delivery.deliver(request, policy=LOOPBACK_ALLOWED, **options)


BODY = {
    "eventType": "transcriptionAvailable",
    "eventTime": "2022-06-17T22:20:00.000Z",
    "accountId": "9900000",
    "callId": "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85",
    "channels": 2,
    "transcription": {"id": "t-387bd648", "status": "available", "completedTime": "2022-06-13T18:46:29.715Z"},
}


class Recorder:
    """Collects on_attempt reports and sleeps in one timeline, so their order can be checked."""

    def __init__(self) -> None:
        self.timeline: list[tuple[str, object]] = []

    def on_attempt(self, attempt: DeliveryAttempt) -> None:
        self.timeline.append(("attempt", attempt))

    def sleep(self, seconds: float) -> None:
        self.timeline.append(("sleep", seconds))

    @property
    def sleeps(self) -> list[object]:
        return [value for kind, value in self.timeline if kind == "sleep"]

    @property
    def attempts(self) -> list[object]:
        return [value for kind, value in self.timeline if kind == "attempt"]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_post_sends_json_with_basic_auth(webhook_receiver: WebhookReceiver, recorder: Recorder) -> None:
    request = WebhookRequest(
        url=webhook_receiver.url("/hook"), method="POST", body=BODY, username="hook-user", password="pä:ss"
    )

    result = deliver(request, on_attempt=recorder.on_attempt, sleep=recorder.sleep)

    assert result.delivered
    [received] = webhook_receiver.wait_for(1)
    assert received.method == "POST"
    assert received.path == "/hook"
    assert received.header("content-type") == "application/json"
    assert received.json == BODY
    assert received.basic_auth == ("hook-user", "pä:ss")
    assert received.header("user-agent") == USER_AGENT
    assert USER_AGENT.startswith("callvault-webhooks/")
    [attempt] = result.attempts
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, None)
    assert attempt.outcome == "delivered"
    assert attempt.started_at.tzinfo is UTC
    assert attempt.duration_ms > 0
    assert recorder.attempts == [attempt]
    assert recorder.sleeps == []


def test_no_credentials_means_no_authorization_header(webhook_receiver: WebhookReceiver) -> None:
    deliver(WebhookRequest(url=webhook_receiver.url(), method="POST", body={"eventType": "answer"}))

    [received] = webhook_receiver.wait_for(1)
    assert received.header("authorization") is None


def test_get_carries_the_body_as_query_parameters(webhook_receiver: WebhookReceiver) -> None:
    body = {**BODY, "tag": None, "detectLanguage": True}
    url = webhook_receiver.url("/hook") + "?token=abc"

    result = deliver(WebhookRequest(url=url, method="GET", body=body, username="u", password="p"))

    assert result.delivered
    [received] = webhook_receiver.wait_for(1)
    assert received.method == "GET"
    assert received.body == b""
    assert received.basic_auth == ("u", "p")
    assert received.query == {
        "token": "abc",
        "eventType": "transcriptionAvailable",
        "eventTime": "2022-06-17T22:20:00.000Z",
        "accountId": "9900000",
        "callId": "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85",
        "channels": "2",
        "transcription.id": "t-387bd648",
        "transcription.status": "available",
        "transcription.completedTime": "2022-06-13T18:46:29.715Z",
        "detectLanguage": "true",
    }


def test_flatten_query_encodes_lists_as_json_and_skips_none() -> None:
    assert flatten_query({"a": [1, "x"], "b": None, "c": {"d": {"e": False}}}) == [
        ("a", '[1,"x"]'),
        ("c.d.e", "false"),
    ]


def test_5xx_is_retried_with_exponential_backoff_until_delivered(
    webhook_receiver: WebhookReceiver, recorder: Recorder
) -> None:
    webhook_receiver.script("/hook", [503, 503, 200])

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert result.delivered
    assert [a.outcome for a in result.attempts] == ["retry", "retry", "delivered"]
    assert [a.status_code for a in result.attempts] == [503, 503, 200]
    assert [a.number for a in result.attempts] == [1, 2, 3]
    assert result.attempts[0].error == "HTTP 503 Service Unavailable"
    # each attempt is reported before the pause that follows it
    assert [kind for kind, _ in recorder.timeline] == ["attempt", "sleep", "attempt", "sleep", "attempt"]
    assert recorder.sleeps == [0.5, 1.0]
    assert len(webhook_receiver.wait_for(3)) == 3


def test_5xx_retries_are_bounded_and_the_backoff_capped(
    webhook_receiver: WebhookReceiver, recorder: Recorder
) -> None:
    webhook_receiver.script("/hook", then=500)

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
        max_5xx_retries=4,
        backoff_base=1.0,
        backoff_cap=3.0,
    )

    assert not result.delivered
    assert [a.outcome for a in result.attempts] == ["retry"] * 4 + ["failed"]
    assert recorder.sleeps == [1.0, 2.0, 3.0, 3.0]
    assert len(webhook_receiver.requests) == 5


def test_4xx_fails_at_once(webhook_receiver: WebhookReceiver, recorder: Recorder) -> None:
    webhook_receiver.script("/hook", then=404)

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert not result.delivered
    [attempt] = result.attempts
    assert (attempt.status_code, attempt.error, attempt.outcome) == (404, "HTTP 404 Not Found", "failed")
    assert recorder.sleeps == []
    assert len(webhook_receiver.requests) == 1


def test_connection_refused_is_retried_once(recorder: Recorder) -> None:
    result = deliver(
        WebhookRequest(url=closed_port_url(), method="POST", body=BODY),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert not result.delivered
    assert result.response_body is None
    assert [a.outcome for a in result.attempts] == ["retry", "failed"]
    assert all(a.status_code is None for a in result.attempts)
    assert all((a.error or "").startswith("ConnectError") for a in result.attempts)
    assert recorder.sleeps == [0.5]
    assert len(recorder.attempts) == 2


def test_timeout_is_retried_once_and_the_retry_can_succeed(
    webhook_receiver: WebhookReceiver, recorder: Recorder
) -> None:
    webhook_receiver.script("/hook", [ScriptedResponse(status=200, delay=3.0)], then=200)

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY, timeout=0.3),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert result.delivered
    first, second = result.attempts
    assert (first.status_code, first.outcome) == (None, "retry")
    assert (first.error or "").startswith("ReadTimeout")
    assert first.duration_ms >= 250  # it waited for its 0.3 s timeout, not for the 3 s answer (ReadTimeout)
    assert (second.status_code, second.outcome) == (200, "delivered")
    assert len(webhook_receiver.wait_for(2)) == 2


def test_a_second_timeout_fails_the_delivery(webhook_receiver: WebhookReceiver, recorder: Recorder) -> None:
    webhook_receiver.script("/hook", then=200, delay=3.0)

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY, timeout=0.3),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert not result.delivered
    assert [a.outcome for a in result.attempts] == ["retry", "failed"]
    assert all((a.error or "").startswith("ReadTimeout") for a in result.attempts)


@pytest.fixture
def hanging_up_server() -> Iterator[str]:
    """A TCP server that accepts each connection and closes it without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_server_that_hangs_up_is_retried_once(hanging_up_server: str, recorder: Recorder) -> None:
    result = deliver(
        WebhookRequest(url=hanging_up_server, method="POST", body=BODY),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
    )

    assert [a.outcome for a in result.attempts] == ["retry", "failed"]
    assert all(a.error and a.status_code is None for a in result.attempts)


def test_connection_and_5xx_retries_are_counted_apart(
    webhook_receiver: WebhookReceiver, recorder: Recorder
) -> None:
    webhook_receiver.script("/hook", [ScriptedResponse(delay=3.0), 502, 502], then=200)

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY, timeout=0.3),
        on_attempt=recorder.on_attempt,
        sleep=recorder.sleep,
        max_5xx_retries=2,
    )

    assert result.delivered
    assert [a.status_code for a in result.attempts] == [None, 502, 502, 200]
    assert recorder.sleeps == [0.5, 0.5, 1.0]


def test_answer_reply_body_is_returned(webhook_receiver: WebhookReceiver) -> None:
    bxml = '<?xml version="1.0" encoding="UTF-8"?><Response><Record/></Response>'
    webhook_receiver.script("/answer", then=200, body=bxml, content_type="application/xml")

    result = deliver(
        WebhookRequest(url=webhook_receiver.url("/answer"), method="POST", body={"eventType": "answer"})
    )

    assert result.delivered
    assert result.response_body == bxml.encode()
    assert result.status_code == 200


def test_response_body_is_capped(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script("/hook", then=200, body=b"x" * (RESPONSE_BODY_LIMIT * 3))

    result = deliver(WebhookRequest(url=webhook_receiver.url("/hook"), method="POST", body=BODY))

    assert result.delivered
    assert result.response_body == b"x" * RESPONSE_BODY_LIMIT


def test_a_given_client_is_used_and_left_open(webhook_receiver: WebhookReceiver) -> None:
    with httpx.Client(headers={"X-Trace": "t-1"}) as client:
        first = deliver(WebhookRequest(url=webhook_receiver.url(), method="POST", body=BODY), client=client)
        second = deliver(WebhookRequest(url=webhook_receiver.url(), method="GET", body=BODY), client=client)
        assert not client.is_closed

    assert first.delivered and second.delivered
    assert [r.header("x-trace") for r in webhook_receiver.wait_for(2)] == ["t-1", "t-1"]
    assert all(r.header("user-agent") == USER_AGENT for r in webhook_receiver.requests)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "/relative/hook",
        "http:///no-host",
    ],
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    attempts: list[DeliveryAttempt] = []

    with pytest.raises(ValueError):
        deliver(WebhookRequest(url=url, method="POST", body=BODY), on_attempt=attempts.append)

    assert attempts == []
