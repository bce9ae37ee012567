"""SIP over UDP, TCP and TLS: datagrams and framed stream messages in, bytes out to the same peer.

A :class:`Peer` is where a message came from and how to answer it: the UDP socket and source
address (responses go back to the source, as RFC 3581 ``rport`` asks, which also crosses NAT), or
the TCP connection it arrived on. A stream that cannot be framed gets its error response and is
closed.

Connections are bounded (:class:`ConnectionLimits`). The listening sockets are accepted from
here, so a connection is judged before anything is built for it: one from an address that no SIP
source covers, or beyond the total or per-address cap, is closed at accept (before a TLS
handshake). A message begun must be complete within ``message_timeout`` (a header that never
ends, a Content-Length larger than what follows), and a connection that carries no recording
session is closed after ``idle_timeout`` without a byte. Nothing a client sends, and no error in
handling it, stops the accept loop or the sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from callvault.calls.siprec.sip import MAX_MESSAGE_BYTES, SipError, TcpFramer, error_response

__all__ = ["ConnectionLimits", "Peer", "SipTransports", "ask_receive_buffer"]

log = logging.getLogger("callvault.sip")

OnMessage = Callable[[bytes, "Peer"], None]
Admit = Callable[[str], bool]
SWEEP_SECONDS = 1.0
ACCEPT_PAUSE_SECONDS = 0.5  # after the process ran out of file descriptors
ACCEPT_BATCH = 64


@dataclass(frozen=True)
class ConnectionLimits:
    """Bounds on SIP stream connections (TCP and TLS together)."""

    max_connections: int = 1024
    max_per_address: int = 64
    message_timeout: float = 10.0
    idle_timeout: float = 120.0


@dataclass(eq=False)
class Peer:
    transport_name: str  # "UDP", "TCP" or "TLS"
    host: str
    port: int
    _send: Callable[[bytes], None]
    _is_closing: Callable[[], bool]
    sessions: int = 0
    """Recording sessions whose dialog uses this connection: it is not closed for being idle."""

    def send(self, data: bytes) -> None:
        if not self._is_closing():
            self._send(data)


def _deliver(on_message: OnMessage, data: bytes, peer: Peer) -> None:
    try:
        on_message(data, peer)
    except Exception:
        log.exception("handling a SIP message from %s failed", peer.host)


UDP_RECEIVE_BUFFER_BYTES = 4 << 20
"""What the SIP UDP socket asks the kernel to queue while the event loop is busy (capped by
net.core.rmem_max). At the default (~208 KiB) a burst of signalling from 400 sessions holding, resuming
and hanging up at once overflowed it: the kernel dropped ~500 datagrams, BYEs among them."""


def ask_receive_buffer(sock: socket.socket, size: int) -> int:
    """Ask the kernel to queue `size` bytes for `sock` (SIP's and RTP's UDP sockets); the bytes it
    granted (capped by net.core.rmem_max)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # Linux reports it doubled


def _enlarge_receive_buffer(sock: socket.socket | None) -> None:
    if sock is None:
        return
    granted = ask_receive_buffer(sock, UDP_RECEIVE_BUFFER_BYTES)
    if granted < UDP_RECEIVE_BUFFER_BYTES:
        log.info(
            "SIP UDP receive buffer is %d KiB (asked for %d; raise net.core.rmem_max for more)",
            granted >> 10,
            UDP_RECEIVE_BUFFER_BYTES >> 10,
        )


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
        _deliver(self._on_message, data, peer)

    def error_received(self, exc: Exception) -> None:
        log.debug("SIP UDP socket error: %s", exc)


class _Stream(asyncio.Protocol):
    """One TCP or TLS connection: frames messages, and knows when it last heard anything."""

    def __init__(
        self, on_message: OnMessage, transport_name: str, on_lost: Callable[[_Stream], None]
    ) -> None:
        self._on_message = on_message
        self._transport_name = transport_name
        self._on_lost = on_lost
        self._framer = TcpFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None
        self.last_heard = time.monotonic()
        self.message_begun: float | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)
        self.transport = stream
        host, port = stream.get_extra_info("peername")[:2]
        self.peer = Peer(self._transport_name, str(host), int(port), stream.write, stream.is_closing)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None and self.peer is not None
        now = time.monotonic()
        self.last_heard = now
        try:
            messages = self._framer.feed(data)
        except SipError as exc:
            self.transport.write(error_response(exc).to_bytes())
            self.transport.close()
            return
        if messages or not self._framer.pending:
            self.message_begun = None
        if self._framer.pending and self.message_begun is None:
            self.message_begun = now
        for message in messages:
            _deliver(self._on_message, message, self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._on_lost(self)

    def expired(self, now: float, limits: ConnectionLimits) -> str | None:
        """Why this connection should be closed now, if it should."""
        if self.message_begun is not None and now - self.message_begun > limits.message_timeout:
            return "a message was not complete in time"
        if (self.peer is None or not self.peer.sessions) and now - self.last_heard > limits.idle_timeout:
            return "idle"
        return None


class _StreamListener:
    """A listening TCP socket accepted here (see the module docstring), TLS on top when given."""

    def __init__(
        self,
        sock: socket.socket,
        transport_name: str,
        on_message: OnMessage,
        admit: Admit,
        limits: ConnectionLimits,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.sock = sock
        self._name = transport_name
        self._on_message = on_message
        self._admit = admit
        self._limits = limits
        self._tls = tls
        self._loop = asyncio.get_running_loop()
        self._per_address: Counter[str] = Counter()
        self._opening = 0
        self.streams: set[_Stream] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._loop.add_reader(sock.fileno(), self._accept_ready)

    @property
    def connections(self) -> int:
        return len(self.streams) + self._opening

    def _accept_ready(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors or buffers: wait, then accept again
                log.warning("SIP %s: cannot accept connections (%s); pausing", self._name, exc)
                self._loop.remove_reader(self.sock.fileno())
                self._loop.call_later(ACCEPT_PAUSE_SECONDS, self._resume_accepting)
                return
            try:
                self._take(conn, str(address[0]))
            except Exception:
                log.exception("SIP %s: accepting a connection failed", self._name)
                conn.close()

    def _resume_accepting(self) -> None:
        if not self._closed:
            self._loop.add_reader(self.sock.fileno(), self._accept_ready)

    def _take(self, conn: socket.socket, host: str) -> None:
        limits = self._limits
        if (
            self.connections >= limits.max_connections
            or self._per_address[host] >= limits.max_per_address
            or not self._admit(host)
        ):
            conn.close()
            return
        conn.setblocking(False)
        self._per_address[host] += 1
        self._opening += 1
        task = self._loop.create_task(self._open(conn, host))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, conn: socket.socket, host: str) -> None:
        stream: _Stream | None = None

        def protocol() -> _Stream:
            nonlocal stream
            stream = _Stream(self._on_message, self._name, self._lost)
            return stream

        try:
            await self._loop.connect_accepted_socket(
                protocol,
                conn,
                ssl=self._tls,
                ssl_handshake_timeout=self._limits.message_timeout if self._tls else None,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            log.debug("SIP %s connection from %s failed to open: %s", self._name, host, exc)
            conn.close()
            if stream is None or stream.peer is None:  # else connection_lost counts it out
                self._forget(host)
            return
        finally:
            self._opening -= 1
        if stream is not None and not stream.lost:
            self.streams.add(stream)

    def _lost(self, stream: _Stream) -> None:
        self.streams.discard(stream)
        if stream.peer is not None:
            self._forget(stream.peer.host)

    def _forget(self, host: str) -> None:
        self._per_address[host] -= 1
        if self._per_address[host] <= 0:
            del self._per_address[host]

    def sweep(self, now: float) -> None:
        for stream in list(self.streams):
            reason = stream.expired(now, self._limits)
            if reason is not None and stream.transport is not None:
                host = stream.peer.host if stream.peer is not None else "?"
                log.debug("SIP %s connection from %s closed: %s", self._name, host, reason)
                stream.transport.close()

    async def close(self) -> None:
        self._closed = True
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        for task in self._tasks:
            task.cancel()
        for stream in list(self.streams):
            if stream.transport is not None:
                stream.transport.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class SipTransports:
    """The UDP socket and TCP listener of one listening address, and a TLS listener on its own port."""

    def __init__(
        self,
        host: str,
        port: int,
        on_message: OnMessage,
        *,
        admit: Admit = lambda host: True,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tls_port: int | None = None
        self._on_message = on_message
        self._admit = admit
        self.limits = limits or ConnectionLimits()
        self._udp: asyncio.DatagramTransport | None = None
        self._listeners: list[_StreamListener] = []
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def connections(self) -> int:
        """Open TCP and TLS connections."""
        return sum(listener.connections for listener in self._listeners)

    async def start(
        self, *, udp: bool = True, tcp: bool = True, tls: tuple[int, ssl.SSLContext] | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        if udp:
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self._on_message), local_addr=(self.host, self.port)
            )
            self.port = self._udp.get_extra_info("sockname")[1]
            _enlarge_receive_buffer(self._udp.get_extra_info("socket"))
        if tcp:
            sock = _listening_socket(self.host, self.port)
            self.port = sock.getsockname()[1]
            self._listeners.append(
                _StreamListener(sock, "TCP", self._on_message, self._admit, self.limits, None)
            )
        if tls is not None:
            tls_port, context = tls
            sock = _listening_socket(self.host, tls_port)
            self.tls_port = sock.getsockname()[1]
            self._listeners.append(
                _StreamListener(sock, "TLS", self._on_message, self._admit, self.limits, context)
            )
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                now = time.monotonic()
                for listener in self._listeners:
                    listener.sweep(now)
            except Exception:
                log.exception("sweeping SIP connections failed")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._udp is not None:
            self._udp.close()
        for listener in self._listeners:
            await listener.close()
