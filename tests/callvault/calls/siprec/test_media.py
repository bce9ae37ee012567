"""A SIPREC session's RTP streams as recorder tracks (callvault.calls.siprec.media): each track
follows its own RTP clock exactly once, placed on the session clock with ``at``. Deterministic:
sending times, network jitter and the event loop's ticks are simulated and passed in."""

from __future__ import annotations

import struct

import numpy as np

from callvault.calls.siprec.media import SiprecMedia, StreamPlan
from callvault.calls.siprec.sdp import Codec
from callvault.media.audio import alaw_decode, mulaw_decode, mulaw_encode

PCMU = Codec(0, "PCMU", 8000)
PCMA = Codec(8, "PCMA", 8000)
FRAME = 160
RATE = 8000
TWO_LEGS = [StreamPlan(0, "inbound", PCMU, 101), StreamPlan(1, "outbound", PCMU, 101)]


def rtp(seq: int, ts: int, payload: bytes, pt: int = 0, ssrc: int = 7, marker: bool = False) -> bytes:
    return (
        struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
        + payload
    )


class Tracks:
    """An output that takes ``at``: checks that a track's audio never goes back, and lays it out."""

    def __init__(self) -> None:
        self.writes: dict[str, list[tuple[int, np.ndarray]]] = {}

    def __call__(self, track: str, samples: np.ndarray, *, at: int) -> None:
        writes = self.writes.setdefault(track, [])
        if writes:
            previous_at, previous = writes[-1]
            assert at >= previous_at + len(previous), f"{track}: {at} overlaps what came before"
        assert len(samples) and samples.any(), "the audio carries no made-up silence"
        writes.append((at, samples))

    def of(self, track: str) -> np.ndarray:
        writes = self.writes[track]
        out = np.zeros(writes[-1][0] + len(writes[-1][1]), dtype=np.int16)
        for at, samples in writes:
            out[at : at + len(samples)] = samples
        return out

    def starts(self, track: str) -> list[int]:
        """Where each run of contiguous audio starts."""
        starts, end = [], None
        for at, samples in self.writes[track]:
            if at != end:
                starts.append(at)
            end = at + len(samples)
        return starts


def speech(seconds: float, seed: int) -> np.ndarray:
    samples = np.random.default_rng(seed).integers(-8000, 8000, round(seconds * RATE)).astype(np.int16)
    samples[samples == 0] = 1  # so that silence in a recording is only ever a gap
    return np.asarray(mulaw_decode(mulaw_encode(samples)))


def leg(
    segments: list[tuple[float, np.ndarray]], *, ssrc: int, seq0: int = 100, ts0: int = 5000
) -> list[tuple[float, bytes]]:
    """(sending time, datagram) of a sender that suppresses silence between `segments`: the
    sequence number runs on, the timestamp follows the time, and a talkspurt starts with a marker."""
    out = []
    seq = seq0
    for start, audio in segments:
        for index in range(len(audio) // FRAME):
            offset = round(start * RATE) + index * FRAME
            payload = mulaw_encode(audio[index * FRAME : (index + 1) * FRAME])
            out.append((offset / RATE, rtp(seq, ts0 + offset, payload, ssrc=ssrc, marker=index == 0)))
            seq += 1
    return out


def play(media: SiprecMedia, legs: dict[int, list[tuple[float, bytes]]], *, seed: int = 5) -> None:
    """Deliver every leg's datagrams after up to 15 ms of network jitter (never reordering a leg), with
    the event loop ticking every 20 ms, then end the session."""
    rng = np.random.default_rng(seed)
    arrivals = sorted(
        (sent + float(rng.uniform(0, 0.015)), index, data)
        for index, datagrams in legs.items()
        for sent, data in datagrams
    )
    tick = 0.0
    for arrival, index, data in arrivals:
        while tick < arrival:
            media.tick(tick)
            tick += 0.02
        media.datagram(index, data, arrival)
    media.flush()


def with_gap(audio: np.ndarray, start: float, end: float) -> np.ndarray:
    out = audio.copy()
    out[round(start * RATE) : round(end * RATE)] = 0
    return out


def test_two_legs_started_together_are_aligned_and_decoded_per_codec() -> None:
    tracks = Tracks()
    media = SiprecMedia(
        [StreamPlan(0, "inbound", PCMU, 101), StreamPlan(1, "outbound", PCMA)], tracks, jitter_delay=0.04
    )
    caller = bytes(range(1, 256)) * 6
    callee = bytes(reversed(range(1, 256))) * 6
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
    media.datagram(0, rtp(8, 8 * 160, b"\x01\x02", pt=13), now)  # comfort noise: no audio
    media.datagram(0, b"\x81\xc8garbage-rtcp", now)
    media.flush()
    assert np.array_equal(tracks.of("inbound"), mulaw_decode(caller[: 8 * 160]))
    assert np.array_equal(tracks.of("outbound"), alaw_decode(callee[: 8 * 160]))
    assert tracks.starts("inbound")[0] == tracks.starts("outbound")[0] == 0


def test_a_late_leg_is_placed_by_its_arrival_and_hold_leaves_no_gap() -> None:
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks, jitter_delay=0.0)
    tone = mulaw_encode(np.full(160, 3000, dtype=np.int16))
    media.datagram(0, rtp(0, 0, tone), 0.0)
    media.datagram(1, rtp(0, 0, tone), 0.101)  # 100 ms late: five packets on
    media.flush()
    assert tracks.writes["inbound"][0][0] == 0 and tracks.writes["outbound"][0][0] == 800

    media.hold()
    media.datagram(0, rtp(1, 160, tone), 0.2)  # dropped while held
    assert media.held
    media.resume()  # both go on from the outbound's 960 samples
    media.datagram(0, rtp(50, 160 + 8000 * 10, tone), 10.0)  # the sender's clock ran on: no gap
    media.datagram(1, rtp(51, 8000 * 10, tone), 10.01)
    media.flush()
    assert tracks.starts("inbound") == [0, 960] and tracks.starts("outbound") == [800]  # 800 + 160


def test_a_leg_read_late_by_a_busy_loop_still_starts_with_the_other() -> None:
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks, jitter_delay=0.06)
    tone = mulaw_encode(np.full(160, 3000, dtype=np.int16))
    media.datagram(0, rtp(0, 0, tone), 0.0)
    media.datagram(1, rtp(0, 0, tone), 0.045)  # within the jitter delay: read late, not sent late
    media.flush()
    assert tracks.starts("inbound") == tracks.starts("outbound") == [0]


def test_silence_suppressed_on_one_leg_is_a_gap_exactly_once() -> None:
    """The defect: a 30 s call whose second party sent nothing from 10 to 20 s came out 40 s long.
    Its audio after the silence lies at 20-30 s, placed by its RTP timestamps."""
    caller, callee = speech(30, 1), speech(30, 2)
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks)
    play(
        media,
        {
            0: leg([(0, caller)], ssrc=1),
            1: leg([(0, callee[: 10 * RATE]), (20, callee[20 * RATE :])], ssrc=2, seq0=65000, ts0=7),
        },
    )
    assert np.array_equal(tracks.of("inbound"), caller)
    assert np.array_equal(tracks.of("outbound"), with_gap(callee, 10, 20))
    assert media.stats()["outbound"].gap_samples == 10 * RATE and media.stats()["outbound"].lost == 0


def test_silence_suppressed_on_both_legs_keeps_them_aligned() -> None:
    caller, callee = speech(30, 3), speech(30, 4)
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks)
    play(
        media,
        {
            0: leg([(0, caller[: 10 * RATE]), (20, caller[20 * RATE :])], ssrc=1, ts0=4_000_000_000),
            1: leg([(0, callee[: 10 * RATE]), (20, callee[20 * RATE :])], ssrc=2, seq0=9),
        },
    )
    assert np.array_equal(tracks.of("inbound"), with_gap(caller, 10, 20))
    assert np.array_equal(tracks.of("outbound"), with_gap(callee, 10, 20))


def test_comfort_noise_means_silence_on_the_same_clock() -> None:
    """RFC 3389: a comfort-noise packet stands for silence until the next packet. The second leg
    starts with comfort noise 3 s in: its clock is anchored there, so its first speech 1 s later
    lands by its timestamp however late that packet is read."""
    caller, callee = speech(6, 5), speech(2, 6)
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks)
    noise = [(3.0 + 0.5 * n, rtp(40 + n, 1000 + 4000 * n, b"\x4e", pt=13, ssrc=2)) for n in range(2)]
    talk = [
        (4.0 + 0.02 * n + 0.05, rtp(42 + n, 1000 + RATE + FRAME * n, mulaw_encode(part), ssrc=2))
        for n, part in enumerate(callee.reshape(-1, FRAME))
    ]  # sent 50 ms late by the SBC: the timestamps, not the arrival, place it
    play(media, {0: leg([(0, caller)], ssrc=1), 1: noise + talk})
    assert np.array_equal(tracks.of("inbound"), caller)
    assert tracks.starts("outbound") == [4 * RATE]
    assert np.array_equal(tracks.of("outbound")[4 * RATE :], callee)
    assert media.stats()["outbound"].restarts == 0


def test_a_new_ssrc_goes_on_where_its_arrival_puts_it() -> None:
    """An SBC that fails over mid-sentence starts a new stream (SSRC, sequence and timestamp all
    new): it continues at the position the call has reached, without a gap; a new stream after a
    silence lands at its arrival."""
    caller, callee = speech(12, 7), speech(12, 8)
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks)
    second_leg = (
        leg([(0, callee[: 5 * RATE])], ssrc=2)
        + [(5 + sent, data) for sent, data in leg([(0, callee[5 * RATE : 8 * RATE])], ssrc=3, seq0=9, ts0=77)]
        + [(10 + sent, data) for sent, data in leg([(0, callee[10 * RATE :])], ssrc=4, seq0=3, ts0=2**31)]
    )
    play(media, {0: leg([(0, caller)], ssrc=1), 1: second_leg})
    assert np.array_equal(tracks.of("inbound"), caller)
    assert np.array_equal(tracks.of("outbound"), with_gap(callee, 8, 10))
    assert tracks.starts("outbound") == [0, 10 * RATE]
    assert media.stats()["outbound"].restarts == 2


def test_timestamp_and_sequence_wrap_around_do_not_move_the_audio() -> None:
    caller, callee = speech(4, 9), speech(4, 10)
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks)
    play(
        media,
        {
            0: leg([(0, caller)], ssrc=1, seq0=65500, ts0=2**32 - 2 * RATE),  # both wrap 1-2 s in
            1: leg([(0, callee[:RATE]), (3, callee[3 * RATE :])], ssrc=2, seq0=65530, ts0=2**32 - 2 * RATE),
        },
    )
    assert np.array_equal(tracks.of("inbound"), caller)
    assert np.array_equal(tracks.of("outbound"), with_gap(callee, 1, 3))


def test_a_timestamp_bomb_cannot_make_the_recording_outgrow_the_call() -> None:
    """200 packets in 1.1 s, each 36,000,000 samples (75 min) after the one before: not silence,
    since the wall clock did not move: the recording stays as long as the call (plus the allowance)."""
    tracks = Tracks()
    media = SiprecMedia(TWO_LEGS, tracks, max_ahead=2.0)
    tone = mulaw_encode(np.full(FRAME, 3000, dtype=np.int16))
    bomb = [(n * 0.0055, rtp(n, 36_000_000 * n, tone, ssrc=1)) for n in range(200)]
    play(media, {0: bomb})
    end = max(at + len(samples) for at, samples in tracks.writes["inbound"])
    assert end <= round((1.1 + 2.0) * RATE) + FRAME
    stats = media.stats()["inbound"]
    assert stats.ahead > 0 and sum(len(s) for _, s in tracks.writes["inbound"]) == (200 - stats.ahead) * FRAME


def test_an_output_without_at_gets_the_gaps_as_silence_in_bounded_pieces() -> None:
    caller = speech(6, 11)
    writes: list[np.ndarray] = []
    media = SiprecMedia([StreamPlan(0, "inbound", PCMU)], lambda track, samples: writes.append(samples))
    play(media, {0: leg([(0, caller[:RATE]), (4, caller[4 * RATE :])], ssrc=1)})
    assert np.array_equal(np.concatenate(writes), with_gap(caller, 1, 4))
    assert max(len(samples) for samples in writes if not samples.any()) <= RATE
