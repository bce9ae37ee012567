"""Webhooks reach only public addresses unless allowed: decided on the resolved address, which is
the one connected to; a refused destination is a failed attempt that says why."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from callvault.webhooks.delivery import WebhookRequest, deliver
from callvault.webhooks.destinations import BlockedDestination, DestinationPolicy, GuardedBackend
from support.receiver import WebhookReceiver

DEFAULT = DestinationPolicy()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::",
    ],
)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    assert not DEFAULT.permits("hooks.example", ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_permitted(address: str) -> None:
    assert DEFAULT.permits("hooks.example", ipaddress.ip_address(address))


def test_allowed_networks_and_hosts() -> None:
    policy = DestinationPolicy.from_setting(["10.0.0.0/8", " hooks.internal. ", "192.168.5.7", ""])
    assert policy.permits("anything", ipaddress.ip_address("10.9.9.9"))
    assert policy.permits("anything", ipaddress.ip_address("192.168.5.7"))
    assert not policy.permits("anything", ipaddress.ip_address("192.168.5.8"))
    assert policy.permits("HOOKS.internal", ipaddress.ip_address("127.0.0.1"))


def test_the_connection_goes_to_the_checked_address(
    webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves to a public address when checked cannot be connected elsewhere: the
    backend resolves once and connects to that very address (here: the allowed loopback receiver)."""
    port = int(webhook_receiver.url().rsplit(":", 1)[1].split("/", 1)[0])
    answers = iter(["127.0.0.1", "10.0.0.99"])  # a rebinding resolver: the second answer is private
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: str, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if host == "rebind.test":
            return real_getaddrinfo(next(answers), *args, **kwargs)  # type: ignore[arg-type]
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    policy = DestinationPolicy.from_setting(["127.0.0.1"])
    stream = GuardedBackend(policy).connect_tcp("rebind.test", port, timeout=5)
    try:
        assert stream.get_extra_info("server_addr")[0] == "127.0.0.1"
    finally:
        stream.close()
    with pytest.raises(BlockedDestination, match="10.0.0.99"):
        GuardedBackend(policy).connect_tcp("rebind.test", port, timeout=5)


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "localhost"])
def test_a_blocked_delivery_is_one_failed_attempt_that_says_why(
    webhook_receiver: WebhookReceiver, host: str
) -> None:
    url = webhook_receiver.url("/hook").replace("127.0.0.1", host)
    attempts = []
    result = deliver(
        WebhookRequest(url=url, method="POST", body={"eventType": "recordingAvailable"}),
        policy=DEFAULT,
        on_attempt=attempts.append,
        sleep=lambda _: None,
    )
    assert not result.delivered
    [attempt] = attempts
    assert (attempt.outcome, attempt.status_code) == ("failed", None)
    assert attempt.error is not None and attempt.error.startswith("blocked: destination")
    assert "CALLVAULT_CALLBACK_ALLOW" in attempt.error
    assert webhook_receiver.requests == []
