from __future__ import annotations

import base64
import json
import warnings

import numpy as np
import pytest

from callvault.calls.media_stream import (
    L16_8K,
    L16_16K,
    MAX_PAYLOAD_BYTES,
    PCMU_8K,
    MediaEvent,
    StartEvent,
    StopEvent,
    StreamTrack,
    TrackFormat,
    build_media,
    build_start,
    build_stop,
    decode_payload,
    encode_samples,
    mulaw_decode,
    mulaw_encode,
    parse_message,
)
from callvault.domain.errors import MediaStreamError

# A start message written out by hand in Bandwidth's shape (not produced by build_start).
BANDWIDTH_START = {
    "eventType": "start",
    "metadata": {
        "accountId": "9900000",
        "callId": "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
        "streamId": "s-a1f2d9c4-8c2a-4bd6-9f2e-0b9c1b2f1e11",
        "streamName": "live_audience",
        "tracks": [
            {"name": "inbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}},
            {"name": "outbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}},
        ],
    },
    "streamParams": {},
}


def _start_with(**metadata_changes: object) -> str:
    message = json.loads(json.dumps(BANDWIDTH_START))
    message["metadata"].update(metadata_changes)
    return json.dumps(message)


def test_parses_a_bandwidth_start_message() -> None:
    event = parse_message(json.dumps(BANDWIDTH_START))

    assert event == StartEvent(
        account_id="9900000",
        call_id="c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
        stream_id="s-a1f2d9c4-8c2a-4bd6-9f2e-0b9c1b2f1e11",
        stream_name="live_audience",
        tracks=(StreamTrack("inbound", PCMU_8K), StreamTrack("outbound", PCMU_8K)),
    )
    assert event.format_of("outbound") == PCMU_8K


def test_parses_media_and_stop_messages() -> None:
    media = json.dumps(
        {"eventType": "media", "track": "outbound", "sequenceNumber": 7, "payload": "AAEC/w=="}
    )

    assert parse_message(media) == MediaEvent(
        track="outbound", sequence_number=7, payload=b"\x00\x01\x02\xff"
    )
    assert parse_message('{"eventType": "stop", "metadata": {}}') == StopEvent()


def test_sequence_number_may_be_a_decimal_string() -> None:
    media = json.dumps({"eventType": "media", "track": "inbound", "sequenceNumber": "12", "payload": ""})

    event = parse_message(media.encode())

    assert isinstance(event, MediaEvent)
    assert event.sequence_number == 12
    assert event.payload == b""


def test_stream_name_defaults_to_stream_id() -> None:
    message = json.loads(json.dumps(BANDWIDTH_START))
    del message["metadata"]["streamName"]

    event = parse_message(json.dumps(message))

    assert isinstance(event, StartEvent)
    assert event.stream_name == event.stream_id


def test_build_then_parse_round_trips() -> None:
    start = build_start(
        account_id="acc",
        call_id="call",
        stream_id="stream",
        tracks={"inbound": L16_16K, "outbound": PCMU_8K},
    )
    media = build_media("inbound", 3, b"\x12\x34\x56\x78")

    assert parse_message(start) == StartEvent(
        account_id="acc",
        call_id="call",
        stream_id="stream",
        stream_name="stream",
        tracks=(StreamTrack("inbound", L16_16K), StreamTrack("outbound", PCMU_8K)),
    )
    assert parse_message(media) == MediaEvent("inbound", 3, b"\x12\x34\x56\x78")
    assert parse_message(build_stop()) == StopEvent()
    assert json.loads(media) == {
        "eventType": "media",
        "track": "inbound",
        "sequenceNumber": 3,
        "payload": base64.b64encode(b"\x12\x34\x56\x78").decode(),
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"track": "inbound"}', "no 'eventType'"),
        ('{"eventType": "dtmf"}', "unknown media-stream eventType 'dtmf'"),
        (
            '{"eventType": "media", "track": "both", "sequenceNumber": 1, "payload": ""}',
            "unknown track 'both'",
        ),
        ('{"eventType": "media", "sequenceNumber": 1, "payload": ""}', "unknown track None"),
        ('{"eventType": "media", "track": "inbound", "sequenceNumber": -1, "payload": ""}', "sequenceNumber"),
        (
            '{"eventType": "media", "track": "inbound", "sequenceNumber": true, "payload": ""}',
            "sequenceNumber",
        ),
        (
            '{"eventType": "media", "track": "inbound", "sequenceNumber": "1e3", "payload": ""}',
            "sequenceNumber",
        ),
        ('{"eventType": "media", "track": "inbound", "sequenceNumber": 1, "payload": "*bad*"}', "base64"),
        ('{"eventType": "media", "track": "inbound", "sequenceNumber": 1, "payload": "AAE"}', "base64"),
        ('{"eventType": "media", "track": "inbound", "sequenceNumber": 1}', "base64 string 'payload'"),
        ('{"eventType": "start"}', "'metadata' object"),
    ],
)
def test_bad_messages_are_refused_with_the_reason(text: str | bytes, reason: str) -> None:
    with pytest.raises(MediaStreamError, match=reason):
        parse_message(text)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"callId": ""}, "metadata.callId must be a non-empty string"),
        ({"accountId": 42}, "metadata.accountId"),
        ({"tracks": []}, "non-empty list"),
        ({"tracks": ["inbound"]}, "must be an object"),
        ({"tracks": [{"name": "sideways", "mediaFormat": {}}]}, "unknown track 'sideways'"),
        ({"tracks": [{"name": "inbound"}]}, "'mediaFormat' object"),
        (
            {"tracks": [{"name": "inbound", "mediaFormat": {"encoding": "audio/opus", "sampleRate": 48000}}]},
            "unsupported media format audio/opus@48000",
        ),
        (
            {"tracks": [{"name": "inbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 16000}}]},
            "unsupported media format audio/PCMU@16000",
        ),
        (
            {
                "tracks": [
                    {"name": "inbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": "8000"}}
                ]
            },
            "integer sampleRate",
        ),
        (
            {
                "tracks": [
                    {"name": "inbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}},
                    {"name": "inbound", "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}},
                ]
            },
            "names a track twice",
        ),
    ],
)
def test_bad_start_metadata_is_refused_with_the_reason(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(MediaStreamError, match=reason):
        parse_message(_start_with(**changes))


def test_oversized_payload_is_refused() -> None:
    payload = base64.b64encode(bytes(MAX_PAYLOAD_BYTES + 4)).decode()
    text = json.dumps({"eventType": "media", "track": "inbound", "sequenceNumber": 1, "payload": payload})

    with pytest.raises(MediaStreamError, match="larger than"):
        parse_message(text)


def test_format_of_a_track_the_stream_lacks_is_an_error() -> None:
    event = parse_message(
        build_start(account_id="a", call_id="c", stream_id="s", tracks={"inbound": PCMU_8K})
    )

    assert isinstance(event, StartEvent)
    with pytest.raises(MediaStreamError, match="'outbound' is not part of stream 's'"):
        event.format_of("outbound")


def test_pcmu_decodes_to_the_g711_values() -> None:
    decoded = decode_payload(PCMU_8K, bytes([0xFF, 0x7F, 0x00, 0x80, 0xFE, 0x7E, 0xF0, 0x70, 0x0F, 0x8F]))

    assert decoded.dtype == np.int16
    assert decoded.tolist() == [0, 0, -32124, 32124, 8, -8, 120, -120, -16764, 16764]


def test_pcmu_table_is_monotonic_within_each_sign() -> None:
    table = mulaw_decode(bytes(range(256))).astype(np.int32)

    assert np.all(np.diff(table[0x00:0x80]) > 0)  # 0x00 (most negative) up to 0x7F (zero)
    assert np.all(np.diff(table[0x80:0x100]) < 0)  # 0x80 (most positive) down to 0xFF (zero)


def test_pcmu_encode_inverts_decode_for_every_code_word() -> None:
    levels = mulaw_decode(bytes(range(256)))

    assert np.array_equal(mulaw_decode(mulaw_encode(levels)), levels)


def test_pcmu_quantisation_error_stays_within_a_segment_step() -> None:
    samples = np.arange(-32124, 32125, dtype=np.int16)  # beyond +-32124 mu-law clips

    error = np.abs(mulaw_decode(mulaw_encode(samples)).astype(np.int32) - samples)

    # a mu-law step is 1/16 of the magnitude at most, plus the 8-unit step near zero
    assert np.all(error <= np.abs(samples.astype(np.int32)) / 16 + 8)
    assert mulaw_encode(np.array([0, 32767, -32768], dtype=np.int16)) == bytes([0xFF, 0x80, 0x00])


def test_pcmu_matches_the_standard_library_codec_bit_for_bit() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # in the standard library up to 3.12, the newest Python callvault supports
    every_int16 = np.arange(-32768, 32768, dtype=np.int16)
    every_byte = bytes(range(256))

    assert mulaw_encode(every_int16) == audioop.lin2ulaw(every_int16.astype("<i2").tobytes(), 2)
    assert np.array_equal(mulaw_decode(every_byte), np.frombuffer(audioop.ulaw2lin(every_byte, 2), "<i2"))


def test_pcmu_encodes_to_the_g711_code_words() -> None:
    # G.711 mu-law by hand: 1000 >> 2 = 250, + bias 33 = 283, segment 3, step (283 >> 4) & 15 = 1,
    # 0x31 inverted = 0xCE; the others follow the same rule (clipping at +-32124 and beyond).
    samples = [0, 8, -8, 100, -100, 1000, -1000, 4000, -4000, 10000, -10000, 32124, -32124, 32767, -32768]
    code_words = [0xFF, 0xFE, 0x7E, 0xF2, 0x72, 0xCE, 0x4E, 0xAF, 0x2F, 0x9C, 0x1C, 0x80, 0x00, 0x80, 0x00]

    assert mulaw_encode(np.array(samples, dtype=np.int16)) == bytes(code_words)


def test_l16_is_big_endian() -> None:
    decoded = decode_payload(L16_16K, b"\x01\x02\xff\xfe\x80\x00\x7f\xff")

    assert decoded.dtype == np.int16
    assert decoded.tolist() == [0x0102, -2, -32768, 32767]


def test_l16_encode_round_trips_and_is_big_endian() -> None:
    samples = np.array([258, -2, -32768, 32767, 0], dtype=np.int16)

    payload = encode_samples(L16_8K, samples)

    assert payload[:4] == b"\x01\x02\xff\xfe"
    assert np.array_equal(decode_payload(L16_8K, payload), samples)


def test_l16_odd_length_is_refused() -> None:
    with pytest.raises(MediaStreamError, match="odd length"):
        decode_payload(L16_16K, b"\x00\x01\x02")


def test_unsupported_encoding_is_refused_when_decoding() -> None:
    with pytest.raises(MediaStreamError, match="unsupported encoding"):
        decode_payload(TrackFormat("audio/PCMA", 8000), b"\x00")


def test_encode_refuses_non_int16_samples() -> None:
    with pytest.raises(TypeError, match="int16"):
        encode_samples(PCMU_8K, np.zeros(4, dtype=np.float32))


def test_a_simulated_tone_survives_the_wire() -> None:
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(160) / 8000)).astype(np.int16)
    message = build_media("inbound", 0, encode_samples(PCMU_8K, tone))

    event = parse_message(message)

    assert isinstance(event, MediaEvent)
    received = decode_payload(PCMU_8K, event.payload)
    assert len(received) == 160
    assert np.max(np.abs(received.astype(np.int32) - tone)) <= 256  # mu-law step near 8000 is 256
