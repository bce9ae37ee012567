"""RTP (RFC 3550) packets and a receive-side jitter buffer that puts one stream's packets back in
order and says where each one's audio lies on the stream's clock. Pure: the caller does the socket
I/O and passes the arrival time in.

:class:`JitterBuffer` holds packets so that packets reordered by the network are put back in
sequence-number order, drops duplicates and packets that arrive after their turn, and decodes the
rest into :class:`RtpAudio`: the samples and their ``clock``, the RTP timestamp unwrapped (it counts
on past 2^32). It never makes silence: a timestamp that jumps past the audio so far (lost packets,
a sender that suppresses silence) is a gap in ``clock`` that whoever places the audio fills.

A missing packet is waited for until the packets held after it cover ``delay`` of the stream's own
clock, or until the stream has sent nothing for ``idle`` seconds. The window is measured in media
time rather than in time since arrival, so a reader that falls behind (a busy event loop reading a
socket's backlog in one go) or a sender that stalls cannot make a packet late: only the network
reordering it by more than ``delay`` can. A packet that arrives after its hole was given up is
dropped (``late``): its audio lies before audio already released.

A new SSRC, a sequence number far from the expected one (RFC 3550 A.1), a timestamp that jumps back
by more than a packet, and :meth:`JitterBuffer.resync` start a new clock: the next audio is marked
``restart`` and its ``clock`` is unrelated to what came before. Packets of the ``ignored`` payload
types (``telephone-event``, comfort noise: RFC 3389 silence until the next packet) take their place
in the sequence and on the clock but carry no audio (``samples`` is empty).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from callvault.media.audio import alaw_decode, mulaw_decode

__all__ = ["DECODERS", "JitterBuffer", "RtpAudio", "RtpPacket", "RtpStats", "parse_rtp"]

Decoder = Callable[[bytes], np.ndarray]
DECODERS: Mapping[str, Decoder] = {"PCMU": mulaw_decode, "PCMA": alaw_decode}
"""Decoders by SDP encoding name: payload bytes -> int16 samples at 8000 Hz."""

_HEADER = struct.Struct("!BBHII")
_SEQUENCE_MODULO = 1 << 16
_TIMESTAMP_MODULO = 1 << 32
MAX_MISORDER = 3000
"""A sequence number this far behind or ahead of the expected one restarts the stream (RFC 3550 A.1)."""
_NO_AUDIO = np.zeros(0, dtype=np.int16)


class RtpPacket(NamedTuple):  # a named tuple: made for every packet, at a third of a frozen dataclass's cost
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


class RtpAudio(NamedTuple):
    """One released packet: its decoded samples and where they lie on the stream's clock."""

    clock: int
    """The RTP timestamp of ``samples[0]``, unwrapped: it goes on counting past 2^32."""
    samples: np.ndarray
    """int16 samples; empty for a packet that carries none (comfort noise, telephone-event)."""
    arrival: float
    """When the packet arrived (the time the caller passed in)."""
    restart: bool = False
    """The stream's clock starts anew here: ``clock`` is unrelated to the audio before it."""


@dataclass
class RtpStats:
    received: int = 0
    duplicates: int = 0
    late: int = 0
    """Packets that arrived after their turn (a duplicate of released audio, or a hole given up)."""
    lost: int = 0
    """Sequence numbers given up on."""
    gap_samples: int = 0
    """Samples of the stream's clock that carried no audio (lost packets, suppressed silence)."""
    restarts: int = 0
    """Times the stream's clock started anew (new SSRC, sequence or timestamp discontinuity)."""
    unknown_payload: int = 0
    ahead: int = 0
    """Packets refused where the audio is placed: they ran too far ahead of the wall clock."""


def _signed(delta: int, modulo: int) -> int:
    return (delta + modulo // 2) % modulo - modulo // 2


class JitterBuffer:
    """Reorders, de-duplicates and decodes one RTP stream (see the module docstring). Not thread-safe."""

    def __init__(
        self,
        decoders: Mapping[int, Decoder],
        *,
        ignored: Collection[int] = (),
        clock_rate: int = 8000,
        delay: float = 0.06,
        idle: float = 1.0,
        max_packets: int = 500,
    ) -> None:
        self._decoders = dict(decoders)
        self._ignored = frozenset(ignored)
        self._delay = round(delay * clock_rate)
        self._idle = max(idle, delay)
        self._max_packets = max_packets
        self._buffer: dict[int, tuple[float, RtpPacket]] = {}
        self._next: int | None = (
            None  # extended sequence number expected next (before release: the first seen)
        )
        self._released = False
        self._ssrc: int | None = None
        self._last_arrival = float("-inf")
        self._timestamp: int | None = None  # the last released packet's timestamp as sent ...
        self._clock = 0  # ... and unwrapped
        self._audio_end: int | None = None  # the clock just after the last audio released
        self._restart = True
        self.stats = RtpStats()

    def push(self, packet: RtpPacket, now: float) -> list[RtpAudio]:
        """Take one packet arrived at `now`; returns audio released early (only when the stream
        starts anew: the old stream's remainder, flushed before the new one begins)."""
        self.stats.received += 1
        self._last_arrival = now
        released: list[RtpAudio] = []
        if self._ssrc is not None and packet.ssrc != self._ssrc:
            released = self._start_anew()
        if self._next is None:
            self._ssrc, self._next = packet.ssrc, packet.sequence
        extended = self._extend(packet.sequence)
        if self._released and extended < self._next:
            self.stats.late += 1
        elif extended in self._buffer:
            self.stats.duplicates += 1
        elif abs(extended - self._next) > MAX_MISORDER:
            released += self._start_anew()
            self._ssrc, self._next = packet.ssrc, packet.sequence
            self._buffer[packet.sequence] = (now, packet)
        else:
            self._buffer[extended] = (now, packet)
        return released

    def drain(self, now: float) -> list[RtpAudio]:
        """Release the packets whose turn has come: every one in sequence, and past a hole (or the
        stream's unknown start) once it has been waited for (see the module docstring)."""
        out: list[RtpAudio] = []
        if not self._released:
            if not self._buffer or not self._waited(now):
                return out
            self._released = True
            self._next = min(self._buffer)
        while self._buffer:
            assert self._next is not None
            entry = self._buffer.pop(self._next, None)
            if entry is not None:
                self._emit(*entry, out)
                self._next += 1
                continue
            if not self._waited(now) and len(self._buffer) <= self._max_packets:
                break
            following = min(self._buffer)
            self.stats.lost += following - self._next
            self._next = following
        return out

    def flush(self) -> list[RtpAudio]:
        """Release everything held, skipping holes (the stream ended or pauses)."""
        return self.drain(float("inf"))

    def resync(self) -> None:
        """Forget the stream's clock: the next audio starts anew (the stream was paused, and what the
        sender's clock did meanwhile is not part of the call)."""
        self._restart = True

    def _start_anew(self) -> list[RtpAudio]:
        released = self.flush()
        self.stats.restarts += 1
        self._buffer.clear()
        self._next = self._ssrc = None
        self._released = False
        self._restart = True
        return released

    def _waited(self, now: float) -> bool:
        """Whether the packet before the held ones is given up (see the module docstring)."""
        if now - self._last_arrival >= self._idle:
            return True
        first = self._buffer[min(self._buffer)][1].timestamp
        span = max(
            _signed(packet.timestamp - first, _TIMESTAMP_MODULO) for _, packet in self._buffer.values()
        )
        return span >= self._delay

    def _extend(self, sequence: int) -> int:
        assert self._next is not None
        return self._next + _signed(sequence - self._next, _SEQUENCE_MODULO)

    def _decode(self, packet: RtpPacket) -> np.ndarray | None:
        if packet.payload_type in self._ignored:
            return _NO_AUDIO
        decoder = self._decoders.get(packet.payload_type)
        if decoder is None:
            self.stats.unknown_payload += 1
            return None
        return decoder(packet.payload)

    def _emit(self, arrival: float, packet: RtpPacket, out: list[RtpAudio]) -> None:
        samples = self._decode(packet)
        if samples is None:
            return
        restart = self._restart
        clock = packet.timestamp
        if not restart:
            assert self._timestamp is not None
            clock = self._clock + _signed(packet.timestamp - self._timestamp, _TIMESTAMP_MODULO)
        self._timestamp, self._clock = packet.timestamp, clock
        if not restart and len(samples) and self._audio_end is not None:
            behind = self._audio_end - clock
            if behind >= len(samples):  # back by a whole packet or more: the sender restarted its clock
                restart = True
                self._clock = clock = packet.timestamp
                self.stats.restarts += 1
            elif behind > 0:  # overlaps audio already released: keep the new part
                samples, clock = samples[behind:], clock + behind
            else:
                self.stats.gap_samples -= behind
        if restart:
            self._restart = False
            self._audio_end = None
        if len(samples):
            self._audio_end = clock + len(samples)
        out.append(RtpAudio(clock, samples, arrival, restart))
