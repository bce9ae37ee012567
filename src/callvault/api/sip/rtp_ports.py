"""RTP ports for recording sessions: blocks of even/odd (RTP/RTCP) pairs from a configured range,
each stream's RTP port bound as an asyncio datagram endpoint that hands packets to its session."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable

__all__ = ["RtpPortPool", "RtpReceiver", "parse_port_range"]

log = logging.getLogger("callvault.sip")

Datagram = Callable[[int, bytes, float], None]
RECEIVE_BUFFER_BYTES = 1 << 20


def parse_port_range(text: str) -> tuple[int, int]:
    """``20000-20999`` -> (20000, 20999); ValueError for anything else."""
    low, _, high = text.partition("-")
    if not (low.strip().isdigit() and high.strip().isdigit()):
        raise ValueError(f"not a port range: {text!r} (use e.g. 20000-29999)")
    first, last = int(low), int(high)
    if not 1024 <= first < last <= 65535:
        raise ValueError(f"port range {text!r} must lie within 1024-65535, low to high")
    return first, last


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, index: int, on_datagram: Datagram, senders: frozenset[str]) -> None:
        self._index = index
        self._on_datagram = on_datagram
        self._senders = senders

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if addr[0] not in self._senders:
            return  # not from the recording client: nobody else may put audio into a recording
        try:
            self._on_datagram(self._index, data, time.monotonic())
        except Exception:
            log.exception("RTP packet handling failed")

    def error_received(self, exc: Exception) -> None:
        log.debug("RTP socket error: %s", exc)


class RtpReceiver:
    """The bound RTP ports of one session (one per accepted stream, in SDP order)."""

    def __init__(self, pool: RtpPortPool, base: int, transports: list[asyncio.DatagramTransport]) -> None:
        self._pool = pool
        self.base = base
        self._transports = transports

    def ports(self, count: int) -> list[int]:
        return [self.base + 2 * index for index in range(count)]

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports = []
        self._pool.release(self.base)


class RtpPortPool:
    """Hands out blocks of ports: stream i of a session gets ``base + 2*i`` (RTCP ``+1`` is kept free)."""

    def __init__(self, host: str, first: int, last: int) -> None:
        self._host = host
        self._first = first + first % 2
        self._last = last
        self._in_use: set[int] = set()
        self._next = self._first

    @property
    def sessions_in_use(self) -> int:
        return len(self._in_use)

    async def open(self, streams: int, on_datagram: Datagram, senders: frozenset[str]) -> RtpReceiver | None:
        """Bind `streams` RTP ports for a session, taking packets only from the addresses in
        `senders`; None when the range has no free block left."""
        span = 2 * max(streams, 1)
        blocks = max(1, (self._last + 1 - self._first) // span)
        loop = asyncio.get_running_loop()
        for _ in range(blocks):
            base = self._next
            self._next = base + span if base + 2 * span - 1 <= self._last else self._first
            if base in self._in_use or base + span - 1 > self._last:
                continue
            transports = await self._bind(loop, base, streams, on_datagram, senders)
            if transports is not None:
                self._in_use.add(base)
                return RtpReceiver(self, base, transports)
        return None

    def release(self, base: int) -> None:
        self._in_use.discard(base)

    async def _bind(
        self,
        loop: asyncio.AbstractEventLoop,
        base: int,
        streams: int,
        on_datagram: Datagram,
        senders: frozenset[str],
    ) -> list[asyncio.DatagramTransport] | None:
        transports: list[asyncio.DatagramTransport] = []
        try:
            for index in range(streams):
                sock = socket.socket(
                    socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_DGRAM
                )
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
                    sock.bind((self._host, base + 2 * index))
                except OSError:
                    sock.close()
                    raise
                transport, _ = await loop.create_datagram_endpoint(
                    lambda index=index: _Endpoint(index, on_datagram, senders),  # type: ignore[misc]
                    sock=sock,
                )
                transports.append(transport)
        except OSError:
            for transport in transports:
                transport.close()
            return None
        return transports
