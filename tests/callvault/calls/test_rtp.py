"""RTP parsing and the jitter buffer (callvault.calls.rtp): reorder, duplicates, loss, gaps, DTMF."""

from __future__ import annotations

import struct

import numpy as np

from callvault.calls.rtp import DECODERS, JitterBuffer, RtpPacket, parse_rtp
from callvault.media.audio import mulaw_decode, mulaw_encode

FRAME = 160


def rtp_bytes(
    seq: int, ts: int, payload: bytes, *, pt: int = 0, ssrc: int = 0x1234, marker: bool = False
) -> bytes:
    return (
        struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
        + payload
    )


def speech(frames: int, seed: int = 1) -> np.ndarray:
    samples = np.random.default_rng(seed).integers(-8000, 8000, frames * FRAME).astype(np.int16)
    return mulaw_decode(mulaw_encode(samples))  # representable exactly in mu-law


def packets(samples: np.ndarray, *, seq0: int = 65530, ts0: int = 4294967000) -> list[RtpPacket]:
    out = []
    for index in range(len(samples) // FRAME):
        data = rtp_bytes(
            seq0 + index, ts0 + index * FRAME, mulaw_encode(samples[index * FRAME : (index + 1) * FRAME])
        )
        packet = parse_rtp(data)
        assert packet is not None
        out.append(packet)
    return out


def run(buffer: JitterBuffer, arrivals: list[RtpPacket], spacing: float = 0.02) -> np.ndarray:
    chunks: list[np.ndarray] = []
    now = 0.0
    for packet in arrivals:
        chunks += buffer.push(packet, now)
        chunks += buffer.drain(now)
        now += spacing
    chunks += buffer.flush()
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def new_buffer(**kwargs: object) -> JitterBuffer:
    return JitterBuffer({0: DECODERS["PCMU"]}, ignored={101}, **kwargs)  # type: ignore[arg-type]


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


def test_in_order_stream_across_sequence_and_timestamp_wrap_is_sample_exact() -> None:
    source = speech(50)
    assert np.array_equal(run(new_buffer(), packets(source)), source)


def test_reordered_and_duplicated_packets_give_the_source_back() -> None:
    source = speech(60)
    arrivals = packets(source)
    shuffled = list(arrivals)
    for index in range(0, 58, 3):
        shuffled[index], shuffled[index + 1] = shuffled[index + 1], shuffled[index]
    shuffled.insert(10, arrivals[5])
    shuffled.insert(30, arrivals[29])
    buffer = new_buffer()
    assert np.array_equal(run(buffer, shuffled), source)
    assert buffer.stats.duplicates + buffer.stats.late == 2


def test_lost_packets_become_silence_of_their_length() -> None:
    source = speech(40)
    arrivals = [p for i, p in enumerate(packets(source)) if i not in (3, 17, 18)]
    buffer = new_buffer()
    out = run(buffer, arrivals)
    expected = source.copy()
    expected[3 * FRAME : 4 * FRAME] = 0
    expected[17 * FRAME : 19 * FRAME] = 0
    assert np.array_equal(out, expected)
    assert buffer.stats.lost == 3 and buffer.stats.filled_samples == 3 * FRAME


def test_timestamp_gap_without_sequence_gap_is_filled_and_resync_skips_it() -> None:
    source = speech(10)
    first, second = (
        packets(source[: 5 * FRAME]),
        packets(source[5 * FRAME :], seq0=65535, ts0=4294967000 + 8000),
    )
    buffer = new_buffer()
    out = run(buffer, first + second)
    assert len(out) == len(source) + 8000 - 5 * FRAME
    assert not out[5 * FRAME : 8000].any()

    buffer = new_buffer()
    chunks = []
    for packet in first:
        buffer.push(packet, 0.0)
    chunks += buffer.flush()
    buffer.resync()
    for packet in second:
        buffer.push(packet, 0.0)
    chunks += buffer.flush()
    assert np.array_equal(np.concatenate(chunks), source)


def test_telephone_events_take_a_sequence_number_but_no_audio() -> None:
    source = speech(6)
    arrivals = packets(source)
    dtmf = parse_rtp(rtp_bytes(arrivals[2].sequence + 1, arrivals[2].timestamp, b"\x05\x0a\x00\xa0", pt=101))
    assert dtmf is not None
    shifted = [
        RtpPacket(p.payload_type, (p.sequence + 1) & 0xFFFF, p.timestamp, p.ssrc, p.marker, p.payload)
        for p in arrivals[3:]
    ]
    buffer = new_buffer()
    assert np.array_equal(run(buffer, [*arrivals[:3], dtmf, *shifted]), source)
    assert buffer.stats.lost == 0


def test_a_new_ssrc_restarts_the_stream_without_a_fill() -> None:
    source = speech(8)
    first = packets(source[: 4 * FRAME])
    second = [
        RtpPacket(p.payload_type, p.sequence, p.timestamp, 0x9999, p.marker, p.payload)
        for p in packets(source[4 * FRAME :], seq0=100, ts0=123456)
    ]
    assert np.array_equal(run(new_buffer(), first + second), source)


def test_unknown_payload_types_are_dropped() -> None:
    source = speech(2)
    arrivals = packets(source)
    other = RtpPacket(
        96, (arrivals[1].sequence + 1) & 0xFFFF, arrivals[1].timestamp + FRAME, 0x1234, False, b"xx"
    )
    buffer = new_buffer()
    assert np.array_equal(run(buffer, [*arrivals, other]), source)
    assert buffer.stats.unknown_payload == 1
