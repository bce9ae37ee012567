"""RTP ports for recording sessions: blocks of even/odd (RTP/RTCP) pairs from a configured range,
one pair for each stream a session accepts (never for a refused m-line), each RTP port read by the
event loop and its packets handed to the session under the stream's m-line index.

The ports are read together, every ``POLL_SECONDS``, not when each becomes readable: a hundred calls
send ten thousand packets a second, each on its own schedule, and waking the loop for each cost
four times the reading itself (the wake-ups, and the thread switches they bring). One poll asks the
kernel which sockets have datagrams waiting, then reads each of those until it is empty (up to a
bound, so one flooded socket cannot hold the loop; a socket left with datagrams is polled again at
once). Before a session's state changes (a hold, a resume, its end) its ports are read at once, so
each datagram meets the state it arrived in.

A packet's time is when the kernel received it (``SO_TIMESTAMPNS``), not when the poll got round to
reading it: the session clock anchors each stream by its first packet's arrival, and reading late
(a poll's wait, or a loop kept busy by hundreds of sessions setting up at once) would otherwise place
one leg of a call later than the other. Where the kernel gives no timestamp, the read time stands
in; so it does for the first moments after a host's first timestamping socket opens (Linux enables
stamping host-wide by deferred work), which a serving process, holding its RTP sockets open, meets
only at its first session.
"""

from __future__ import annotations

import asyncio
import logging
import selectors
import socket
import struct
import sys
import time
from collections.abc import Callable, Sequence

from callvault.api.sip.transport import ask_receive_buffer

__all__ = ["RtpPortPool", "RtpReceiver", "parse_port_range"]

log = logging.getLogger("callvault.sip")

Datagram = Callable[[int, bytes, float], None]
"""``(m-line index, datagram, arrival)``: `arrival` on the time.monotonic() clock."""
RECEIVE_BUFFER_BYTES = 1 << 20
MAX_DATAGRAM_BYTES = 4096
"""Larger than any RTP packet of the codecs answered (G.711, 20 ms: 172 bytes); a longer one is dropped."""
POLL_SECONDS = 0.02
"""How often the RTP sockets are read: a packet's worth of G.711 (its arrival is the kernel's, so the
wait moves no audio; the jitter buffer holds 60 ms and releases every 100 ms anyway)."""
MAX_DATAGRAMS_PER_READ = 64
"""Read at most this many datagrams of one socket per poll, so one flooded socket cannot hold the loop."""
MAX_QUEUED_SECONDS = 60.0
"""How far before its read a datagram's kernel time is believed (a wall clock stepped back is not)."""
SO_TIMESTAMPNS = 35
"""Linux's ``SO_TIMESTAMPNS`` (and ``SCM_TIMESTAMPNS``), which Python's socket module does not name."""
TIMESPEC = struct.Struct("@qq")
ANCILLARY_BYTES = socket.CMSG_SPACE(TIMESPEC.size)
_MSG_TRUNC = int(socket.MSG_TRUNC)
"""As a plain int: `flags & socket.MSG_TRUNC` makes an IntFlag member per datagram (20x the cost)."""


def parse_port_range(text: str) -> tuple[int, int]:
    """``20000-20999`` -> (20000, 20999); ValueError for anything else."""
    low, _, high = text.partition("-")
    if not (low.strip().isdigit() and high.strip().isdigit()):
        raise ValueError(f"not a port range: {text!r} (use e.g. 20000-29999)")
    first, last = int(low), int(high)
    if not 1024 <= first < last <= 65535:
        raise ValueError(f"port range {text!r} must lie within 1024-65535, low to high")
    return first, last


class _Reader:
    """Reads one stream's RTP socket when the poll finds datagrams waiting on it."""

    def __init__(
        self,
        poller: _Poller,
        sock: socket.socket,
        index: int,
        on_datagram: Datagram,
        senders: frozenset[str],
    ) -> None:
        self._poller = poller
        self._sock = sock
        self._index = index
        self._on_datagram = on_datagram
        self._senders = senders
        self._timestamped = _ask_for_kernel_timestamps(sock)
        sock.setblocking(False)
        poller.add(sock, self)

    def close(self) -> None:
        if self._sock.fileno() >= 0:
            self._poller.remove(self._sock)
            self._sock.close()

    def read_waiting(self, wall_now: float, now: float) -> bool:
        """Read the datagrams waiting (`now`: the read time, on both clocks); whether some are left."""
        for _ in range(MAX_DATAGRAMS_PER_READ):
            try:
                data, ancillary, flags, addr = self._sock.recvmsg(MAX_DATAGRAM_BYTES, ANCILLARY_BYTES)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError as exc:  # e.g. an ICMP error for an earlier send: the socket goes on
                log.debug("RTP socket error: %s", exc)
                return False
            if addr[0] not in self._senders or flags & _MSG_TRUNC:
                continue  # only the recording client may put audio into a recording; no RTP is that long
            arrival = now
            if self._timestamped:
                received = _kernel_time(ancillary)
                if received is not None:
                    arrival = now - min(max(wall_now - received, 0.0), MAX_QUEUED_SECONDS)
            try:
                self._on_datagram(self._index, data, arrival)
            except Exception:
                log.exception("RTP packet handling failed")
        return True


class _Poller:
    """Polls a pool's RTP sockets every ``POLL_SECONDS`` on one event loop, while it has any (see the
    module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._selector: selectors.BaseSelector | None = None
        self._next: asyncio.TimerHandle | None = None

    def add(self, sock: socket.socket, reader: _Reader) -> None:
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ, reader)
        if self._next is None:
            self._next = self.loop.call_later(POLL_SECONDS, self._poll)

    def remove(self, sock: socket.socket) -> None:
        if self._selector is None:
            return
        self._selector.unregister(sock)
        if not self._selector.get_map():
            self._selector.close()
            self._selector = None
            if self._next is not None:
                self._next.cancel()
                self._next = None

    def _poll(self) -> None:
        self._next = None
        if self._selector is None:
            return
        due = self.loop.time() + POLL_SECONDS
        wall_now, now = time.time(), time.monotonic()
        left = False
        for key, _ in self._selector.select(0):
            left = key.data.read_waiting(wall_now, now) or left
        if self._selector is not None and self._next is None:
            self._next = self.loop.call_at(self.loop.time() if left else due, self._poll)


def _ask_for_kernel_timestamps(sock: socket.socket) -> bool:
    if sys.platform != "linux":
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    """When the kernel received the datagram (wall clock, seconds), from its ancillary data."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            return seconds + nanoseconds / 1e9
    return None


class RtpReceiver:
    """The bound RTP ports of one session (one per accepted stream, in SDP order)."""

    def __init__(
        self,
        pool: RtpPortPool,
        base: int,
        indexes: Sequence[int],
        readers: list[_Reader],
    ) -> None:
        self._pool = pool
        self.base = base
        self.ports = {index: base + 2 * position for position, index in enumerate(indexes)}
        """m-line index -> its RTP port."""
        self._readers = readers

    def read_waiting(self) -> None:
        """Read what the session's ports hold now, before its state changes (a hold, a resume, its
        end): a datagram belongs to the state it arrived in, not the one the next poll finds."""
        wall_now, now = time.time(), time.monotonic()
        for reader in self._readers:
            reader.read_waiting(wall_now, now)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers = []
        self._pool.release(self.base)


class RtpPortPool:
    """Hands out blocks of ports: stream i of a session gets ``base + 2*i`` (RTCP ``+1`` is kept free)."""

    def __init__(self, host: str, first: int, last: int) -> None:
        self._host = host
        self._first = first + first % 2
        self._last = last
        self._in_use: set[int] = set()
        self._next = self._first
        self._poller: _Poller | None = None

    async def open(
        self, indexes: Sequence[int], on_datagram: Datagram, senders: frozenset[str]
    ) -> RtpReceiver | None:
        """Bind an RTP port for each of a session's accepted streams (their m-line `indexes`),
        taking packets only from the addresses in `senders`; None when the range has no free block
        left."""
        span = 2 * max(len(indexes), 1)
        blocks = max(1, (self._last + 1 - self._first) // span)
        loop = asyncio.get_running_loop()
        if self._poller is None or self._poller.loop is not loop:
            self._poller = _Poller(loop)
        for _ in range(blocks):
            base = self._next
            self._next = base + span if base + 2 * span - 1 <= self._last else self._first
            if base in self._in_use or base + span - 1 > self._last:
                continue
            readers = self._bind(self._poller, base, indexes, on_datagram, senders)
            if readers is not None:
                self._in_use.add(base)
                return RtpReceiver(self, base, indexes, readers)
        return None

    def release(self, base: int) -> None:
        self._in_use.discard(base)

    def _bind(
        self,
        poller: _Poller,
        base: int,
        indexes: Sequence[int],
        on_datagram: Datagram,
        senders: frozenset[str],
    ) -> list[_Reader] | None:
        readers: list[_Reader] = []
        try:
            for position, index in enumerate(indexes):
                sock = socket.socket(
                    socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_DGRAM
                )
                try:
                    ask_receive_buffer(sock, RECEIVE_BUFFER_BYTES)
                    sock.bind((self._host, base + 2 * position))
                except OSError:
                    sock.close()
                    raise
                readers.append(_Reader(poller, sock, index, on_datagram, senders))
        except OSError:
            for reader in readers:
                reader.close()
            return None
        return readers
