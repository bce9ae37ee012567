"""A SIPREC session's RTP streams as recorder tracks (callvault.calls.siprec.media)."""

from __future__ import annotations

import struct

import numpy as np

from callvault.calls.siprec.media import SiprecMedia, StreamPlan
from callvault.calls.siprec.sdp import Codec
from callvault.media.audio import alaw_decode, mulaw_decode, mulaw_encode

PCMU = Codec(0, "PCMU", 8000)
PCMA = Codec(8, "PCMA", 8000)


def rtp(seq: int, ts: int, payload: bytes, pt: int = 0, ssrc: int = 7) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq, ts, ssrc) + payload


class Tracks:
    def __init__(self) -> None:
        self.audio: dict[str, list[np.ndarray]] = {}

    def __call__(self, track: str, samples: np.ndarray) -> None:
        self.audio.setdefault(track, []).append(samples)

    def of(self, track: str) -> np.ndarray:
        return np.concatenate(self.audio[track])


def test_two_legs_started_together_are_aligned_and_decoded_per_codec() -> None:
    tracks = Tracks()
    media = SiprecMedia(
        [StreamPlan(0, "inbound", PCMU, 101), StreamPlan(1, "outbound", PCMA)], tracks, jitter_delay=0.04
    )
    caller = bytes(range(256)) * 5
    callee = bytes(reversed(range(256))) * 5
    now = 100.0
    for index in range(8):
        media.datagram(0, rtp(index, index * 160, caller[index * 160 : (index + 1) * 160]), now)
        media.datagram(
            1,
            rtp(500 + index, 9000 + index * 160, callee[index * 160 : (index + 1) * 160], pt=8),
            now + 0.003,
        )
        media.tick(now)
        now += 0.02
    media.datagram(0, rtp(8, 8 * 160, b"\x01\x02", pt=13), now)  # comfort noise: ignored
    media.datagram(0, b"\x81\xc8garbage-rtcp", now)
    media.flush()
    assert np.array_equal(tracks.of("inbound"), mulaw_decode(caller[: 8 * 160]))
    assert np.array_equal(tracks.of("outbound"), alaw_decode(callee[: 8 * 160]))


def test_a_late_leg_is_padded_by_its_arrival_and_hold_leaves_no_gap() -> None:
    tracks = Tracks()
    media = SiprecMedia(
        [StreamPlan(0, "inbound", PCMU), StreamPlan(1, "outbound", PCMU)], tracks, jitter_delay=0.0
    )
    tone = mulaw_encode(np.full(160, 3000, dtype=np.int16))
    media.datagram(0, rtp(0, 0, tone), 0.0)
    media.datagram(1, rtp(0, 0, tone), 0.101)  # 100 ms late: five packets of silence first
    media.flush()
    assert len(tracks.of("inbound")) == 160 and len(tracks.of("outbound")) == 160 + 800
    assert not tracks.of("outbound")[:800].any()

    media.hold()
    media.datagram(0, rtp(1, 160, tone), 0.2)  # dropped while held
    assert media.held
    media.resume()  # inbound padded to the outbound's 960 samples
    assert len(tracks.of("inbound")) == 960
    media.datagram(0, rtp(50, 160 + 8000 * 10, tone), 10.0)  # the sender's clock ran on: no fill
    media.flush()
    assert len(tracks.of("inbound")) == 960 + 160


def test_a_leg_read_late_by_a_busy_loop_still_starts_with_the_other() -> None:
    tracks = Tracks()
    media = SiprecMedia(
        [StreamPlan(0, "inbound", PCMU), StreamPlan(1, "outbound", PCMU)], tracks, jitter_delay=0.06
    )
    tone = mulaw_encode(np.full(160, 3000, dtype=np.int16))
    media.datagram(0, rtp(0, 0, tone), 0.0)
    media.datagram(1, rtp(0, 0, tone), 0.045)  # within the jitter delay: read late, not sent late
    media.flush()
    assert len(tracks.of("inbound")) == len(tracks.of("outbound")) == 160
