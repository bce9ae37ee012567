"""Where webhooks may go: no loopback, private, link-local, multicast or reserved destination unless
the operator allows it (`CALLVAULT_CALLBACK_ALLOW`: CIDRs and host names, comma-separated).

The decision is made on the address a host name resolves to, and the connection goes to exactly that
address (the URL's host still names the server in `Host` and in TLS SNI and certificate checks), so
a name that resolves to a public address when checked and a private one when connecting (DNS
rebinding) cannot get through: there is one resolution, in `GuardedBackend.connect_tcp`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

__all__ = ["BlockedDestination", "DestinationPolicy", "guarded_client"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedDestination(Exception):
    """The URL's host is, or resolves only to, an address webhooks may not reach."""


@dataclass(frozen=True)
class DestinationPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_setting(cls, entries: Iterable[str]) -> DestinationPolicy:
        """`["127.0.0.1/32", "hooks.internal"]` -> a policy; a bare address is a /32 (or /128)."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def permits(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.allowed_hosts:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not (address.is_multicast or address.is_reserved)

    def resolve(self, host: str, port: int) -> str:
        """The first address of `host` that webhooks may reach; BlockedDestination when there is none."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        for address in addresses:
            if self.permits(host, address):
                return str(address)
        shown = ", ".join(sorted({str(a) for a in addresses}))
        raise BlockedDestination(
            f"destination {host} ({shown}) is a loopback, private, link-local, multicast or reserved "
            "address; CALLVAULT_CALLBACK_ALLOW can allow it"
        )


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to an address the policy permits."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._policy.resolve(host, port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: DestinationPolicy, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx 0.28's HTTPTransport takes no network backend; its pool is rebuilt with ours.
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=GuardedBackend(policy))


def guarded_client(policy: DestinationPolicy, ssl_context: ssl.SSLContext | None = None) -> httpx.Client:
    """An httpx client (no redirects, no proxies from the environment) that reaches only what
    `policy` permits; a refused destination raises BlockedDestination from `send`. Pass a shared
    `ssl_context` to save building one (loading the CA bundle) per client."""
    transport = _GuardedTransport(policy, ssl_context or httpx.create_ssl_context(trust_env=False))
    return httpx.Client(transport=transport, follow_redirects=False, trust_env=False)
