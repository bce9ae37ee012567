"""RTP ports for recording sessions: blocks of even/odd (RTP/RTCP) pairs from a configured range,
one pair for each stream a session accepts (never for a refused m-line), each RTP port bound as an
asyncio datagram endpoint that hands packets to its session under the stream's m-line index."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Sequence

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

    def __init__(
        self,
        pool: RtpPortPool,
        base: int,
        indexes: Sequence[int],
        transports: list[asyncio.DatagramTransport],
    ) -> None:
        self._pool = pool
        self.base = base
        self.ports = {index: base + 2 * position for position, index in enumerate(indexes)}
        """m-line index -> its RTP port."""
        self._transports = transports

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

    async def open(
        self, indexes: Sequence[int], on_datagram: Datagram, senders: frozenset[str]
    ) -> RtpReceiver | None:
        """Bind an RTP port for each of a session's accepted streams (their m-line `indexes`),
        taking packets only from the addresses in `senders`; None when the range has no free block
        left."""
        span = 2 * max(len(indexes), 1)
        blocks = max(1, (self._last + 1 - self._first) // span)
        loop = asyncio.get_running_loop()
        for _ in range(blocks):
            base = self._next
            self._next = base + span if base + 2 * span - 1 <= self._last else self._first
            if base in self._in_use or base + span - 1 > self._last:
                continue
            transports = await self._bind(loop, base, indexes, on_datagram, senders)
            if transports is not None:
                self._in_use.add(base)
                return RtpReceiver(self, base, indexes, transports)
        return None

    def release(self, base: int) -> None:
        self._in_use.discard(base)

    async def _bind(
        self,
        loop: asyncio.AbstractEventLoop,
        base: int,
        indexes: Sequence[int],
        on_datagram: Datagram,
        senders: frozenset[str],
    ) -> list[asyncio.DatagramTransport] | None:
        transports: list[asyncio.DatagramTransport] = []
        try:
            for position, index in enumerate(indexes):
                sock = socket.socket(
                    socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_DGRAM
                )
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
                    sock.bind((self._host, base + 2 * position))
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
