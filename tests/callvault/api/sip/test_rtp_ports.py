"""RTP ports read by the event loop: a packet keeps the time the kernel received it however late the
loop reads it, strangers' packets and oversized datagrams are dropped, and a burst is read whole."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from callvault.api.sip.rtp_ports import MAX_DATAGRAM_BYTES, MAX_DATAGRAMS_PER_READ, RtpPortPool

T = TypeVar("T")
CLIENT = "127.0.0.1"
PACKET = b"\x80\x00" + bytes(170)
KERNEL_SETTLE_SECONDS = 0.2


def run_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """In a thread of its own: another test on this worker may leave an event loop running here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def receive(sends: list[tuple[str, bytes]], *, busy_seconds: float = 0.0, wanted: int) -> list[Any]:
    """Open one RTP port taking packets from CLIENT, send `sends` (source address, datagram) to it,
    keep the loop busy for `busy_seconds`, then collect `wanted` deliveries: (data, arrival, sent at,
    busy until)."""
    pool = RtpPortPool(CLIENT, 30000, 39999)
    got: list[tuple[bytes, float]] = []
    receiver = await pool.open(
        [0], lambda _index, data, arrival: got.append((data, arrival)), frozenset({CLIENT})
    )
    assert receiver is not None
    senders: dict[str, socket.socket] = {}
    try:
        # Linux turns packet timestamps on for the whole host a moment after the first socket asks
        # (deferred work); until then a datagram is stamped when read. Let that moment pass.
        await asyncio.sleep(KERNEL_SETTLE_SECONDS)
        sent_at = time.monotonic()
        for source, data in sends:
            if source not in senders:
                senders[source] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                senders[source].bind((source, 0))
            senders[source].sendto(data, (CLIENT, receiver.ports[0]))
        time.sleep(busy_seconds)  # the loop is busy: nothing is read meanwhile
        busy_until = time.monotonic()
        deadline = time.monotonic() + 10
        while len(got) < wanted and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # anything more that would arrive
    finally:
        receiver.close()
        for sender in senders.values():
            sender.close()
    return [(data, arrival, sent_at, busy_until) for data, arrival in got]


@pytest.mark.skipif(sys.platform != "linux", reason="kernel receive timestamps are read on Linux only")
def test_a_packet_read_late_keeps_the_time_the_kernel_received_it() -> None:
    [(data, arrival, sent_at, busy_until)] = run_loop(receive([(CLIENT, PACKET)], busy_seconds=0.3, wanted=1))
    assert data == PACKET
    assert sent_at - 0.05 <= arrival < busy_until - 0.2, (arrival - sent_at, busy_until - sent_at)


def test_strangers_and_oversized_datagrams_are_dropped_and_a_burst_is_read_whole() -> None:
    burst = [(CLIENT, PACKET[:2] + index.to_bytes(2, "big") + PACKET[4:]) for index in range(300)]
    sends = [("127.0.0.2", PACKET), (CLIENT, bytes(MAX_DATAGRAM_BYTES + 1)), *burst]
    got = run_loop(receive(sends, wanted=len(burst)))
    assert [data for data, *_ in got] == [data for _source, data in burst]


async def two_sessions_one_closed_early() -> tuple[list[bytes], list[bytes], bool]:
    """Two sessions' ports in one pool: the first closes, the second goes on receiving; then both are
    closed and the pool's poll stops (no timer left on the loop)."""
    pool = RtpPortPool(CLIENT, 30000, 39999)
    first: list[bytes] = []
    second: list[bytes] = []
    one = await pool.open([0], lambda _i, data, _a: first.append(data), frozenset({CLIENT}))
    two = await pool.open([0, 1], lambda _i, data, _a: second.append(data), frozenset({CLIENT}))
    assert one is not None and two is not None
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(PACKET, (CLIENT, one.ports[0]))
        deadline = time.monotonic() + 10
        while not first and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        one.close()
        for index in range(3):
            sender.sendto(PACKET[:3] + bytes([index]) + PACKET[4:], (CLIENT, two.ports[index % 2]))
        while len(second) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        two.close()
    await asyncio.sleep(0.05)
    timers = getattr(loop, "_scheduled", None)  # the default loop's timers (uvloop keeps its own)
    return first, second, timers is None or not any(not timer.cancelled() for timer in timers)


def test_one_poll_reads_every_session_and_stops_with_the_last() -> None:
    first, second, idle = run_loop(two_sessions_one_closed_early())
    assert first == [PACKET]
    assert sorted(second) == sorted(PACKET[:3] + bytes([index]) + PACKET[4:] for index in range(3))
    assert idle, "the poll goes on after the last port closed"


async def flood_and_one(flood: int) -> tuple[list[int], int]:
    """`flood` datagrams to one session's port, then one to another's, all sent before the loop can
    poll; the order they are delivered in (0: the flooded port, 1: the other)."""
    pool = RtpPortPool(CLIENT, 30000, 39999)
    order: list[int] = []
    flooded = await pool.open([0], lambda _i, _d, _a: order.append(0), frozenset({CLIENT}))
    other = await pool.open([0], lambda _i, _d, _a: order.append(1), frozenset({CLIENT}))
    assert flooded is not None and other is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for _ in range(flood):  # no await: the loop cannot poll meanwhile
            sender.sendto(PACKET, (CLIENT, flooded.ports[0]))
        sender.sendto(PACKET, (CLIENT, other.ports[0]))
        deadline = time.monotonic() + 10
        while len(order) < flood + 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    flooded.close()
    other.close()
    return order, order.index(1) if 1 in order else -1


def test_a_flooded_port_is_read_in_bounded_pieces_and_holds_up_no_other() -> None:
    order, other_at = run_loop(flood_and_one(1000))
    assert order.count(0) == 1000  # the kernel queued the whole flood, and every datagram was read
    assert 0 <= other_at <= 2 * MAX_DATAGRAMS_PER_READ, other_at
