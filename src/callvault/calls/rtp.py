"""RTP (RFC 3550) packets and a receive-side jitter buffer that turns them into a gapless sample
stream. Pure: the caller does the socket I/O and passes the arrival time in.

:class:`JitterBuffer` holds each packet for up to ``delay`` seconds so that packets reordered by the
network are put back in sequence-number order, drops duplicates and packets that arrive after their
turn, and decodes the rest. The RTP timestamp is the stream's clock: when the timestamp jumps past
the samples received so far (lost packets, or a sender that suppresses silence), the gap is filled
with silence, so a recording is as long as the call was. A jump larger than ``max_gap_seconds``, a
backwards jump, or a new SSRC is a discontinuity (the sender restarted its clock): the stream goes
on from there without a fill. Packets of the ``ignored`` payload types (``telephone-event``,
comfort noise) take their place in the sequence but carry no audio.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from callvault.media.audio import alaw_decode, mulaw_decode

__all__ = ["DECODERS", "JitterBuffer", "RtpPacket", "RtpStats", "parse_rtp"]

Decoder = Callable[[bytes], np.ndarray]
DECODERS: Mapping[str, Decoder] = {"PCMU": mulaw_decode, "PCMA": alaw_decode}
"""Decoders by SDP encoding name: payload bytes -> int16 samples at 8000 Hz."""

_HEADER = struct.Struct("!BBHII")
_SEQUENCE_MODULO = 1 << 16
_TIMESTAMP_MODULO = 1 << 32
MAX_MISORDER = 3000
"""A sequence number this far behind or ahead of the expected one restarts the stream (RFC 3550 A.1)."""


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def parse_rtp(data: bytes) -> RtpPacket | None:
    """The RTP packet in `data`; None for anything else (RTCP, STUN, garbage, truncated packets)."""
    if len(data) < _HEADER.size:
        return None
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        return None
    payload_type = second & 0x7F
    if 72 <= payload_type <= 76:  # RTCP multiplexed on the RTP port (RFC 5761 section 4)
        return None
    offset = _HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(data) < offset + 4:
            return None
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: the last byte counts the padding bytes
        end -= data[-1]
    if end < offset or offset > len(data):
        return None
    return RtpPacket(payload_type, sequence, timestamp, ssrc, bool(second & 0x80), bytes(data[offset:end]))


@dataclass
class RtpStats:
    received: int = 0
    duplicates: int = 0
    late: int = 0
    lost: int = 0
    """Sequence numbers given up on."""
    filled_samples: int = 0
    """Silence inserted for timestamp gaps."""
    unknown_payload: int = 0


class JitterBuffer:
    """Reorders, de-duplicates and decodes one RTP stream (see the module docstring). Not thread-safe."""

    def __init__(
        self,
        decoders: Mapping[int, Decoder],
        *,
        ignored: Collection[int] = (),
        clock_rate: int = 8000,
        delay: float = 0.06,
        max_gap_seconds: float = 30.0,
        max_packets: int = 500,
    ) -> None:
        self._decoders = dict(decoders)
        self._ignored = frozenset(ignored)
        self._delay = delay
        self._max_gap = round(max_gap_seconds * clock_rate)
        self._max_packets = max_packets
        self._buffer: dict[int, tuple[float, RtpPacket]] = {}
        self._next: int | None = None  # extended sequence number expected next
        self._expected_timestamp: int | None = None
        self._ssrc: int | None = None
        self._first_arrival: float | None = None  # None once the stream's first packet is released
        self.stats = RtpStats()

    @property
    def started(self) -> bool:
        return self._ssrc is not None

    def push(self, packet: RtpPacket, now: float) -> list[np.ndarray]:
        """Take one packet arrived at `now`; returns audio released early (only on an SSRC change:
        the old stream's remainder, flushed before the new stream starts)."""
        self.stats.received += 1
        released: list[np.ndarray] = []
        if self._ssrc is not None and packet.ssrc != self._ssrc:
            released = self.flush()
            self._restart()
        if self._next is None:
            self._ssrc = packet.ssrc
            self._next = packet.sequence
            self._first_arrival = now
        extended = self._extend(packet.sequence)
        if extended < self._next and self._first_arrival is not None:  # nothing released yet
            self._next = extended
        if extended < self._next:
            self.stats.late += 1
        elif extended in self._buffer:
            self.stats.duplicates += 1
        elif extended - self._next > MAX_MISORDER:
            released += self.flush()
            self._restart()
            self._ssrc, self._next, self._first_arrival = packet.ssrc, packet.sequence, now
            self._buffer[packet.sequence] = (now, packet)
        else:
            self._buffer[extended] = (now, packet)
        return released

    def drain(self, now: float) -> list[np.ndarray]:
        """Release the packets whose turn has come: every one in sequence, and past a hole once the
        packet after it has waited `delay` (the hole is then lost)."""
        out: list[np.ndarray] = []
        if self._first_arrival is not None:  # the stream's start waits `delay` for packets sent before it
            if now - self._first_arrival < self._delay:
                return out
            self._first_arrival = None
        while self._buffer and self._next is not None:
            entry = self._buffer.pop(self._next, None)
            if entry is not None:
                self._emit(entry[1], out)
                self._next += 1
                continue
            oldest = min(arrival for arrival, _ in self._buffer.values())
            if now - oldest < self._delay and len(self._buffer) <= self._max_packets:
                break
            following = min(self._buffer)
            self.stats.lost += following - self._next
            self._next = following
        return out

    def flush(self) -> list[np.ndarray]:
        """Release everything held, skipping holes (the stream ended or pauses)."""
        return self.drain(float("inf"))

    def resync(self) -> None:
        """Forget the stream's clock: the next packet continues the audio without a gap fill (the
        stream was paused, and what the sender's clock did meanwhile is not part of the call)."""
        self._expected_timestamp = None

    def _restart(self) -> None:
        self._buffer.clear()
        self._next = None
        self._ssrc = None
        self._first_arrival = None
        self._expected_timestamp = None

    def _extend(self, sequence: int) -> int:
        assert self._next is not None
        delta = (sequence - self._next + _SEQUENCE_MODULO // 2) % _SEQUENCE_MODULO - _SEQUENCE_MODULO // 2
        return self._next + delta

    def _emit(self, packet: RtpPacket, out: list[np.ndarray]) -> None:
        if packet.payload_type in self._ignored:
            return
        decoder = self._decoders.get(packet.payload_type)
        if decoder is None:
            self.stats.unknown_payload += 1
            return
        samples = decoder(packet.payload)
        end = (packet.timestamp + len(samples)) % _TIMESTAMP_MODULO
        if self._expected_timestamp is not None:
            gap = (packet.timestamp - self._expected_timestamp + _TIMESTAMP_MODULO // 2) % _TIMESTAMP_MODULO
            gap -= _TIMESTAMP_MODULO // 2
            if 0 < gap <= self._max_gap:
                out.append(np.zeros(gap, dtype=np.int16))
                self.stats.filled_samples += gap
            elif -len(samples) < gap < 0:  # overlaps audio already released: keep the new part
                samples = samples[-gap:]
        if len(samples):
            out.append(samples)
        self._expected_timestamp = end
