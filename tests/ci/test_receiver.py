"""support.receiver, the webhook receiver the tests run against: scripts, waiting, and the refusing port."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from support.receiver import ScriptedResponse, WebhookReceiver, closed_port_url


def test_scripted_statuses_then_the_default(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script("/a", [503, ScriptedResponse(status=201, body=b"ok")], then=204)

    statuses = [httpx.post(webhook_receiver.url("/a"), json={}).status_code for _ in range(4)]
    other = httpx.get(webhook_receiver.url("/b?x=1&x=2"))

    assert statuses == [503, 201, 204, 204]
    assert other.status_code == 200
    last = webhook_receiver.requests_to("/b")[-1]
    assert last.query == {"x": "2"}
    assert last.query_pairs == [("x", "1"), ("x", "2")]


def test_wait_for_a_predicate_returns_the_matching_requests(webhook_receiver: WebhookReceiver) -> None:
    def send_later() -> None:
        time.sleep(0.1)
        httpx.post(webhook_receiver.url("/one"), json={"n": 1})
        httpx.post(webhook_receiver.url("/two"), content=b"not json")

    sender = threading.Thread(target=send_later)
    sender.start()
    [two] = webhook_receiver.wait_for(lambda request: request.path == "/two", timeout=5)
    sender.join(timeout=5)

    assert (two.body, two.json) == (b"not json", None)
    assert webhook_receiver.requests_to("/one")[0].json == {"n": 1}


def test_wait_for_times_out_with_an_assertion(webhook_receiver: WebhookReceiver) -> None:
    with pytest.raises(AssertionError, match="waited 0.1s"):
        webhook_receiver.wait_for(1, timeout=0.1)


def test_closing_wakes_a_delayed_handler() -> None:
    receiver = WebhookReceiver().start()
    receiver.script("/slow", then=200, delay=3600)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(receiver.url("/slow"), json={}, timeout=0.2)
    closing = threading.Thread(target=receiver.close)

    closing.start()
    closing.join(60)  # a handler left asleep would hold close() for the hour

    assert not closing.is_alive()


def test_closed_port_refuses_connections() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(closed_port_url(), timeout=2)
