"""RTP parsing and the jitter buffer (callvault.calls.rtp): reorder, duplicates, loss, the stream's
clock (wrap-around, suppressed silence, comfort noise, restarts), and a reorder window that a late
reader or a stalled sender cannot trip. Time is passed in: every test is deterministic."""

from __future__ import annotations

import struct

import numpy as np

from callvault.calls.rtp import DECODERS, JitterBuffer, RtpAudio, RtpPacket, parse_rtp
from callvault.media.audio import mulaw_decode, mulaw_encode

FRAME = 160
SSRC = 0x1234


def rtp_bytes(
    seq: int, ts: int, payload: bytes, *, pt: int = 0, ssrc: int = SSRC, marker: bool = False
) -> bytes:
    return (
        struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
        + payload
    )


def speech(frames: int, seed: int = 1) -> np.ndarray:
    samples = np.random.default_rng(seed).integers(-8000, 8000, frames * FRAME).astype(np.int16)
    return mulaw_decode(mulaw_encode(samples))  # representable exactly in mu-law


def packets(
    samples: np.ndarray, *, seq0: int = 65530, ts0: int = 4294967000, ssrc: int = SSRC
) -> list[RtpPacket]:
    out = []
    for index in range(len(samples) // FRAME):
        payload = mulaw_encode(samples[index * FRAME : (index + 1) * FRAME])
        packet = parse_rtp(rtp_bytes(seq0 + index, ts0 + index * FRAME, payload, ssrc=ssrc))
        assert packet is not None
        out.append(packet)
    return out


def renumbered(
    packet: RtpPacket, *, seq: int | None = None, ts: int | None = None, **changes: object
) -> RtpPacket:
    fields = {
        "payload_type": packet.payload_type,
        "sequence": (packet.sequence if seq is None else seq) & 0xFFFF,
        "timestamp": (packet.timestamp if ts is None else ts) & 0xFFFFFFFF,
        "ssrc": packet.ssrc,
        "marker": packet.marker,
        "payload": packet.payload,
    }
    fields.update(changes)
    return RtpPacket(**fields)  # type: ignore[arg-type]


def run(buffer: JitterBuffer, arrivals: list[RtpPacket], spacing: float = 0.02) -> list[RtpAudio]:
    """Each packet arrives `spacing` after the one before, and the buffer is drained after each."""
    out: list[RtpAudio] = []
    now = 0.0
    for packet in arrivals:
        out += buffer.push(packet, now)
        out += buffer.drain(now)
        now += spacing
    return out + buffer.flush()


def placed(chunks: list[RtpAudio]) -> np.ndarray:
    """The audio laid out on its clock from the first chunk on, silence where no chunk lies."""
    assert chunks and chunks[0].restart and not any(chunk.restart for chunk in chunks[1:])
    start = chunks[0].clock
    out = np.zeros(max(chunk.clock + len(chunk.samples) for chunk in chunks) - start, dtype=np.int16)
    for chunk in chunks:
        out[chunk.clock - start : chunk.clock - start + len(chunk.samples)] = chunk.samples
    return out


def emitted(chunks: list[RtpAudio]) -> int:
    return sum(len(chunk.samples) for chunk in chunks)


def new_buffer(**kwargs: object) -> JitterBuffer:
    return JitterBuffer({0: DECODERS["PCMU"]}, ignored={13, 101}, **kwargs)  # type: ignore[arg-type]


def test_parse_rtp_header_fields_extension_padding_and_refusals() -> None:
    packet = parse_rtp(rtp_bytes(7, 99, b"abc", pt=8, marker=True))
    assert packet == RtpPacket(8, 7, 99, 0x1234, True, b"abc")
    extended = bytes([0x90]) + rtp_bytes(1, 2, b"")[1:] + b"\xbe\xde\x00\x01" + b"\x01\x02\x03\x04" + b"pay"
    assert parse_rtp(extended).payload == b"pay"  # type: ignore[union-attr]
    padded = bytes([0xA0]) + rtp_bytes(1, 2, b"")[1:] + b"pay" + b"\x00\x00\x03"
    assert parse_rtp(padded).payload == b"pay"  # type: ignore[union-attr]
    assert parse_rtp(b"\x80\xc8" + b"\x00" * 10) is None  # RTCP SR
    assert parse_rtp(b"\x00" * 20) is None  # version 0
    assert parse_rtp(b"\x80\x00\x00") is None  # truncated
    assert parse_rtp(bytes([0x8F]) + rtp_bytes(1, 2, b"")[1:]) is None  # 15 CSRCs missing


def test_the_clock_runs_on_across_sequence_and_timestamp_wrap() -> None:
    source = speech(50)
    chunks = run(new_buffer(), packets(source))
    assert np.array_equal(placed(chunks), source)
    assert chunks[0].clock == 4294967000 and chunks[-1].clock == 4294967000 + 49 * FRAME  # past 2**32


def test_reordered_and_duplicated_packets_give_the_source_back() -> None:
    source = speech(60)
    arrivals = packets(source)
    shuffled = list(arrivals)
    for index in range(0, 58, 3):
        shuffled[index], shuffled[index + 1] = shuffled[index + 1], shuffled[index]
    shuffled.insert(10, arrivals[5])
    shuffled.insert(30, arrivals[29])
    buffer = new_buffer()
    assert np.array_equal(placed(run(buffer, shuffled)), source)
    assert buffer.stats.duplicates + buffer.stats.late == 2


def test_lost_packets_are_gaps_on_the_clock_and_no_silence_is_made() -> None:
    source = speech(40)
    arrivals = [p for i, p in enumerate(packets(source)) if i not in (3, 17, 18)]
    buffer = new_buffer()
    chunks = run(buffer, arrivals)
    expected = source.copy()
    expected[3 * FRAME : 4 * FRAME] = 0
    expected[17 * FRAME : 19 * FRAME] = 0
    assert np.array_equal(placed(chunks), expected)
    assert emitted(chunks) == 37 * FRAME
    assert buffer.stats.lost == 3 and buffer.stats.gap_samples == 3 * FRAME


def test_suppressed_silence_and_the_marker_bit_after_it_only_move_the_clock() -> None:
    source = speech(10)
    talk = packets(source[: 5 * FRAME])
    after = packets(source[5 * FRAME :], seq0=65535, ts0=4294967000 + 10 * 8000)  # 10 s later
    after[0] = renumbered(after[0], marker=True)
    buffer = new_buffer()
    chunks = run(buffer, talk) + run(buffer, after)
    assert [chunk.clock - chunks[0].clock for chunk in chunks][4:6] == [4 * FRAME, 10 * 8000]
    laid_out = placed(chunks)
    assert len(laid_out) == 10 * 8000 + 5 * FRAME
    assert np.array_equal(laid_out[: 5 * FRAME], source[: 5 * FRAME])
    assert np.array_equal(laid_out[10 * 8000 :], source[5 * FRAME :])
    assert emitted(chunks) == len(source)
    assert buffer.stats.lost == 0 and buffer.stats.restarts == 0
    assert buffer.stats.gap_samples == 10 * 8000 - 5 * FRAME


def test_comfort_noise_is_silence_until_the_next_packet_not_a_new_clock() -> None:
    source = speech(6)
    talk = packets(source[: 3 * FRAME], seq0=10, ts0=1000)
    noise = [
        parse_rtp(rtp_bytes(13, 1000 + 3 * FRAME, b"\x40", pt=13)),  # RFC 3389: noise level only
        parse_rtp(rtp_bytes(14, 1000 + 3 * FRAME + 1600, b"\x40", pt=13)),  # a refresh 200 ms on
    ]
    resumed = packets(source[3 * FRAME :], seq0=15, ts0=1000 + 3 * FRAME + 4000)
    buffer = new_buffer()
    chunks = run(buffer, [*talk, *noise, *resumed])  # type: ignore[list-item]
    assert [len(chunk.samples) for chunk in chunks] == [FRAME] * 3 + [0, 0] + [FRAME] * 3
    assert chunks[3].clock == 1000 + 3 * FRAME and not chunks[3].restart
    laid_out = placed(chunks)
    assert len(laid_out) == 3 * FRAME + 4000 + 3 * FRAME
    assert np.array_equal(laid_out[3 * FRAME + 4000 :], source[3 * FRAME :])
    assert buffer.stats.lost == 0


def test_telephone_events_take_a_sequence_number_but_no_audio() -> None:
    source = speech(6)
    arrivals = packets(source)
    dtmf = parse_rtp(rtp_bytes(arrivals[2].sequence + 1, arrivals[2].timestamp, b"\x05\x0a\x00\xa0", pt=101))
    assert dtmf is not None
    shifted = [renumbered(p, seq=p.sequence + 1) for p in arrivals[3:]]
    buffer = new_buffer()
    assert np.array_equal(placed(run(buffer, [*arrivals[:3], dtmf, *shifted])), source)
    assert buffer.stats.lost == 0 and buffer.stats.restarts == 0


def test_a_new_ssrc_releases_the_old_stream_and_restarts_the_clock() -> None:
    source = speech(8)
    first = packets(source[: 4 * FRAME])
    second = packets(source[4 * FRAME :], seq0=100, ts0=123456, ssrc=0x9999)
    buffer = new_buffer()
    for packet in first:
        assert buffer.push(packet, 0.0) == []
    released = buffer.push(second[0], 0.0)  # the old stream's remainder comes out first
    assert [chunk.clock for chunk in released] == [first[0].timestamp + i * FRAME for i in range(4)]
    rest = released + buffer.flush()
    for packet in second[1:]:
        rest += buffer.push(packet, 0.0)
    rest += buffer.flush()
    assert [chunk.restart for chunk in rest] == [True, False, False, False, True, False, False, False]
    assert rest[4].clock == 123456
    assert np.array_equal(np.concatenate([chunk.samples for chunk in rest]), source)
    assert buffer.stats.restarts == 1


def test_resync_and_a_backward_jump_restart_the_clock_and_a_small_overlap_is_trimmed() -> None:
    source = speech(4)
    buffer = new_buffer()
    arrivals = packets(source, seq0=1, ts0=8000)
    chunks = run(buffer, arrivals[:2])
    buffer.resync()
    chunks += run(buffer, [renumbered(arrivals[2], ts=5)])  # the sender's clock ran on or back: new
    overlapping = renumbered(arrivals[3], ts=5 + FRAME - 60)  # 60 samples already released
    backwards = renumbered(arrivals[3], seq=5, ts=5 - 4 * FRAME)
    chunks += run(buffer, [overlapping, backwards])
    assert [(c.clock, len(c.samples), c.restart) for c in chunks] == [
        (8000, FRAME, True), (8000 + FRAME, FRAME, False), (5, FRAME, True), (5 + FRAME, FRAME - 60, False),
        ((5 - 4 * FRAME) & 0xFFFFFFFF, FRAME, True),
    ]  # fmt: skip
    assert np.array_equal(chunks[3].samples, source[3 * FRAME + 60 :])
    assert buffer.stats.restarts == 1  # resync is a pause, not the sender's discontinuity


def test_unknown_payload_types_are_dropped() -> None:
    source = speech(2)
    arrivals = packets(source)
    other = RtpPacket(
        96, (arrivals[1].sequence + 1) & 0xFFFF, arrivals[1].timestamp + FRAME, SSRC, False, b"xx"
    )
    buffer = new_buffer()
    assert np.array_equal(placed(run(buffer, [*arrivals, other])), source)
    assert buffer.stats.unknown_payload == 1


def test_a_packet_that_arrives_after_its_hole_was_given_up_is_dropped_as_late() -> None:
    source = speech(10)
    arrivals = packets(source, seq0=0, ts0=0)
    buffer = new_buffer(delay=0.06)
    chunks: list[RtpAudio] = []
    for index, packet in enumerate(arrivals):
        if index != 4:  # the network holds packet 4 back ...
            chunks += buffer.push(packet, index * 0.02) + buffer.drain(index * 0.02)
    assert buffer.stats.lost == 1  # ... until packets 5-8 (60 ms of audio past the hole) had come
    chunks += buffer.push(arrivals[4], 0.2) + buffer.drain(0.2) + buffer.flush()
    expected = source.copy()
    expected[4 * FRAME : 5 * FRAME] = 0
    assert np.array_equal(placed(chunks), expected)
    assert buffer.stats.late == 1 and buffer.stats.lost == 1


def test_a_reader_that_falls_behind_loses_nothing() -> None:
    """A busy event loop reads a socket's backlog one datagram per turn, and the buffer is drained
    between those reads, long after the packets came: the hole before a reordered packet must
    not be given up while the packet that fills it waits in the socket."""
    source = speech(10)
    arrivals = packets(source, seq0=0, ts0=0)
    arrivals[3], arrivals[4] = arrivals[4], arrivals[3]
    buffer = new_buffer(delay=0.06)
    chunks: list[RtpAudio] = []
    for index, packet in enumerate(arrivals[:4]):
        chunks += buffer.push(packet, index * 0.02) + buffer.drain(index * 0.02)
    now = 0.5  # the loop stalled for 440 ms; packets 3 onwards wait in the socket
    for packet in arrivals[4:]:
        chunks += buffer.drain(now)  # the tick runs before the next datagram is read
        chunks += buffer.push(packet, now)
    chunks += buffer.drain(now) + buffer.flush()
    assert np.array_equal(placed(chunks), source)
    assert buffer.stats.lost == buffer.stats.late == 0


def test_a_sender_that_stalls_between_reordered_packets_loses_nothing() -> None:
    source = speech(10)
    arrivals = packets(source, seq0=0, ts0=0)
    arrivals[3], arrivals[4] = arrivals[4], arrivals[3]
    times = [0.0, 0.02, 0.04, 0.06, 0.5, 0.52, 0.54, 0.56, 0.58, 0.6]  # stalled 440 ms after packet 4
    buffer = new_buffer(delay=0.06)
    chunks: list[RtpAudio] = []
    for packet, now in zip(arrivals, times, strict=True):
        chunks += buffer.drain(now) + buffer.push(packet, now) + buffer.drain(now)
    chunks += buffer.flush()
    assert np.array_equal(placed(chunks), source)
    assert buffer.stats.lost == buffer.stats.late == 0


def test_a_stream_that_goes_quiet_behind_a_hole_releases_what_it_holds_after_idle() -> None:
    source = speech(4)
    arrivals = packets(source, seq0=0, ts0=0)
    buffer = new_buffer(delay=0.06, idle=1.0)
    chunks: list[RtpAudio] = []
    for index in (0, 1, 3):  # packet 2 is lost, and the sender goes quiet after packet 3
        chunks += buffer.push(arrivals[index], index * 0.02) + buffer.drain(index * 0.02)
    assert emitted(chunks) == 2 * FRAME  # still waiting for packet 2
    assert buffer.drain(0.9) == []
    chunks += buffer.drain(1.07)
    assert emitted(chunks) == 3 * FRAME and buffer.stats.lost == 1
