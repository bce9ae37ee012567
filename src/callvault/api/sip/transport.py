"""SIP over UDP, TCP and TLS: datagrams and framed stream messages in, bytes out to the same peer.

A :class:`Peer` is where a message came from and how to answer it: the UDP socket and source
address (responses go back to the source, as RFC 3581 ``rport`` asks, which also crosses NAT), or
the TCP connection it arrived on. A stream that cannot be framed gets a 400 and is closed.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from callvault.calls.siprec.sip import MAX_MESSAGE_BYTES, SipError, TcpFramer

__all__ = ["Peer", "SipTransports"]

log = logging.getLogger("callvault.sip")

OnMessage = Callable[[bytes, "Peer"], None]


@dataclass(eq=False)
class Peer:
    transport_name: str  # "UDP", "TCP" or "TLS"
    host: str
    port: int
    _send: Callable[[bytes], None]
    _is_closing: Callable[[], bool]

    def send(self, data: bytes) -> None:
        if not self._is_closing():
            self._send(data)

    @property
    def connected(self) -> bool:
        return not self._is_closing()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_message: OnMessage) -> None:
        self._on_message = on_message
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        transport = self.transport
        if transport is None or len(data) > MAX_MESSAGE_BYTES or not data.strip():
            return  # oversized, or a CRLF keep-alive
        host, port = str(addr[0]), int(addr[1])
        peer = Peer("UDP", host, port, lambda out: transport.sendto(out, (host, port)), transport.is_closing)
        self._on_message(data, peer)


class _Tcp(asyncio.Protocol):
    def __init__(self, on_message: OnMessage, transport_name: str = "TCP") -> None:
        self._on_message = on_message
        self._transport_name = transport_name
        self._framer = TcpFramer()
        self._transport: asyncio.Transport | None = None
        self._peer: Peer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)
        self._transport = stream
        host, port = stream.get_extra_info("peername")[:2]
        self._peer = Peer(self._transport_name, str(host), int(port), stream.write, stream.is_closing)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None and self._peer is not None
        try:
            messages = self._framer.feed(data)
        except SipError as exc:
            self._transport.write(f"SIP/2.0 {exc.status} {exc.reason}\r\nContent-Length: 0\r\n\r\n".encode())
            self._transport.close()
            return
        for message in messages:
            self._on_message(message, self._peer)


class SipTransports:
    """The UDP socket and TCP server of one listening address, and a TLS server on its own port."""

    def __init__(self, host: str, port: int, on_message: OnMessage) -> None:
        self.host = host
        self.port = port
        self.tls_port: int | None = None
        self._on_message = on_message
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tls: asyncio.Server | None = None

    async def start(
        self, *, udp: bool = True, tcp: bool = True, tls: tuple[int, ssl.SSLContext] | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        if udp:
            self._udp, protocol = await loop.create_datagram_endpoint(
                lambda: _Udp(self._on_message), local_addr=(self.host, self.port)
            )
            self.port = self._udp.get_extra_info("sockname")[1]
        if tcp:
            self._tcp = await loop.create_server(lambda: _Tcp(self._on_message), self.host, self.port)
            self.port = self._tcp.sockets[0].getsockname()[1]
        if tls is not None:
            tls_port, context = tls
            self._tls = await loop.create_server(
                lambda: _Tcp(self._on_message, "TLS"), self.host, tls_port, ssl=context
            )
            self.tls_port = self._tls.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        for server in (self._tcp, self._tls):
            if server is not None:
                server.close()
                await server.wait_closed()
