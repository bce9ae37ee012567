"""CPaaS media-stream protocols (callvault.calls.stream_formats): Twilio, raw L16, Bandwidth."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.calls.media_stream import PCMU_8K, build_media, build_start, build_stop
from callvault.calls.stream_formats.bandwidth import BandwidthStream
from callvault.calls.stream_formats.events import StreamAudio, StreamParser, StreamStarted, StreamStopped
from callvault.calls.stream_formats.raw_audio import RawAudioStream
from callvault.calls.stream_formats.twilio import TwilioStream
from callvault.domain.errors import MediaStreamError
from callvault.media.audio import mulaw_encode


def twilio_start(tracks: list[str]) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "accountSid": "AC123",
                "streamSid": "MZ123",
                "callSid": "CA123",
                "tracks": tracks,
                "customParameters": {"from": "+15551230001", "to": "+15551230002"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
            "streamSid": "MZ123",
        }
    )


def twilio_media(track: str, timestamp: int | str, samples: np.ndarray) -> str:
    payload = base64.b64encode(mulaw_encode(samples)).decode()
    media = {"track": track, "chunk": "1", "timestamp": str(timestamp), "payload": payload}
    return json.dumps({"event": "media", "streamSid": "MZ123", "media": media})


def test_twilio_stream_events_and_timestamp_gaps() -> None:
    parser = TwilioStream()
    assert parser.text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})) == []
    (opened,) = parser.text(twilio_start(["inbound", "outbound"]))
    assert isinstance(opened, StreamStarted)
    assert opened.call_id == "CA123" and opened.tracks == {"inbound": 8000, "outbound": 8000}
    assert (opened.from_number, opened.to_number) == ("+15551230001", "+15551230002")
    assert opened.source["streamSid"] == "MZ123"
    frame = np.full(160, 1000, dtype=np.int16)
    (audio,) = parser.text(twilio_media("inbound", 0, frame))
    assert isinstance(audio, StreamAudio) and audio.track == "inbound" and len(audio.samples) == 160
    assert audio.at == 0
    (audio,) = parser.text(twilio_media("inbound", 100, frame))  # 80 ms of nothing: positioned, no zeros
    assert isinstance(audio, StreamAudio) and audio.at == 800 and len(audio.samples) == 160
    (audio,) = parser.text(twilio_media("inbound", 121, frame))  # 1 ms late: rounding, follows on
    assert audio.at == 960
    (audio,) = parser.text(twilio_media("outbound", 36_000_000, frame))  # a bomb: the recorder bounds it
    assert audio.at == 36_000_000 * 8 and len(audio.samples) == 160
    assert parser.text(json.dumps({"event": "mark", "mark": {"name": "x"}})) == []
    assert isinstance(parser.text(json.dumps({"event": "stop", "stop": {}}))[0], StreamStopped)


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[]",
        json.dumps({"event": "bogus"}),
        json.dumps({"event": "media", "media": {"payload": ""}}),  # before start
    ],
)
def test_twilio_refusals_before_start(message: str) -> None:
    with pytest.raises(MediaStreamError):
        TwilioStream().text(message)


def test_twilio_refusals_after_start() -> None:
    parser = TwilioStream()
    parser.text(twilio_start(["inbound"]))
    for message in (
        twilio_media("outbound", 0, np.zeros(160, dtype=np.int16)),
        json.dumps({"event": "media", "media": {"track": "inbound", "payload": "!!"}}),
        twilio_start(["inbound"]),
        twilio_media("inbound", "\u00b2", np.zeros(160, dtype=np.int16)),  # a digit to str.isdigit only
        twilio_media("inbound", "-20", np.zeros(160, dtype=np.int16)),
        twilio_media("inbound", "9" * 5000, np.zeros(160, dtype=np.int16)),  # past int()'s digit limit
    ):
        with pytest.raises(MediaStreamError):
            parser.text(message)
    with pytest.raises(MediaStreamError):
        parser.binary(b"\x00\x01")


def test_raw_stereo_l16_deinterleaves_across_frame_boundaries() -> None:
    parser = RawAudioStream()
    (opened,) = parser.text(
        json.dumps({"callSid": "abc-1", "sampleRate": 16000, "mixType": "stereo", "from": "+1555"})
    )
    assert isinstance(opened, StreamStarted) and opened.tracks == {"inbound": 16000, "outbound": 16000}
    left = np.arange(100, dtype=np.int16)
    right = -np.arange(100, dtype=np.int16)
    data = np.stack([left, right], axis=1).astype("<i2").tobytes()
    events = parser.binary(data[:7]) + parser.binary(data[7:])
    inbound = np.concatenate(
        [e.samples for e in events if isinstance(e, StreamAudio) and e.track == "inbound"]
    )
    outbound = np.concatenate(
        [e.samples for e in events if isinstance(e, StreamAudio) and e.track == "outbound"]
    )
    assert np.array_equal(inbound, left) and np.array_equal(outbound, right)


@pytest.mark.parametrize(
    "metadata",
    [
        "nope",
        "[]",
        json.dumps({"sampleRate": 8000}),
        json.dumps({"callSid": "a", "sampleRate": 44100}),
        json.dumps({"callSid": "a", "channels": 3}),
    ],
)
def test_raw_metadata_refusals(metadata: str) -> None:
    with pytest.raises(MediaStreamError):
        RawAudioStream().text(metadata)


def test_raw_audio_before_metadata_is_refused() -> None:
    with pytest.raises(MediaStreamError):
        RawAudioStream().binary(b"\x00\x00")


def test_bandwidth_start_names_account_and_call() -> None:
    parser = BandwidthStream()
    (opened,) = parser.text(
        build_start(account_id="9900000", call_id="c-1", stream_id="s-1", tracks={"inbound": PCMU_8K})
    )
    assert isinstance(opened, StreamStarted) and opened.account_id == "9900000" and opened.call_id == "c-1"
    samples = np.full(160, 500, dtype=np.int16)
    (audio,) = parser.text(build_media("inbound", 0, mulaw_encode(samples)))
    assert isinstance(audio, StreamAudio) and len(audio.samples) == 160
    assert isinstance(parser.text(build_stop())[0], StreamStopped)
    with pytest.raises(MediaStreamError):
        parser.text(build_media("outbound", 1, b"\xff"))


# --- malformed messages, property style: any value anywhere is taken or refused with a reason ------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["²", "٣", "inbound", "outbound", "8000", "1.0", "", "AAAA"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    paths: list[tuple[object, ...]] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _paths(item, (*prefix, index))
    return paths


def _replaced(message: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    copy = json.loads(json.dumps(message))
    container = copy
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = value
    return copy


TWILIO_START = json.loads(twilio_start(["inbound", "outbound"]))
TWILIO_MEDIA = json.loads(twilio_media("inbound", 20, np.zeros(160, dtype=np.int16)))
BANDWIDTH_START = json.loads(
    build_start(account_id="9", call_id="c-1", stream_id="s", tracks={"inbound": PCMU_8K})
)
BANDWIDTH_MEDIA = json.loads(build_media("inbound", 1, b"\xff" * 160))
RAW_METADATA = {"callSid": "c-1", "sampleRate": 8000, "mixType": "stereo", "channels": 2, "from": "+1555"}
# (parser, message that gets a malformed value somewhere, the valid messages sent before it)
MALFORMABLE: list[tuple[type[StreamParser], object, list[object]]] = [
    (TwilioStream, TWILIO_START, []),
    (TwilioStream, TWILIO_MEDIA, [TWILIO_START]),
    (BandwidthStream, BANDWIDTH_START, []),
    (BandwidthStream, BANDWIDTH_MEDIA, [BANDWIDTH_START]),
    (RawAudioStream, RAW_METADATA, []),
]


@pytest.mark.parametrize(
    ("parser_type", "message", "before"), MALFORMABLE, ids=lambda v: getattr(v, "__name__", None)
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_malformed_value_anywhere_is_refused_with_a_reason_or_taken(
    parser_type: type[StreamParser], message: object, before: list[object], data: st.DataObject
) -> None:
    """Never an unhandled exception (which would close the stream with 1011): a MediaStreamError
    (1007 and its reason), or events whose start can be stored as JSON."""
    path = data.draw(st.sampled_from(_paths(message)))
    value = data.draw(JSON_VALUES)
    parser = parser_type()
    for earlier in before:
        parser.text(json.dumps(earlier))
    try:
        events = parser.text(json.dumps(_replaced(message, path, value)))
    except MediaStreamError as refused:
        assert refused.description
        return
    for event in events:
        if isinstance(event, StreamStarted):
            json.dumps(event.source, allow_nan=False)
            assert all(isinstance(rate, int) for rate in event.tracks.values())
        if isinstance(event, StreamAudio):
            assert event.samples.dtype == np.int16


@pytest.mark.parametrize(
    ("parser_type", "text"),
    [
        (TwilioStream, json.dumps({**TWILIO_MEDIA, "media": {**TWILIO_MEDIA["media"], "timestamp": "²"}})),
        (TwilioStream, json.dumps({**TWILIO_MEDIA, "media": {**TWILIO_MEDIA["media"], "track": []}})),
        (RawAudioStream, json.dumps({"callSid": "c-1", "channels": 1.0})),
        (RawAudioStream, json.dumps({"callSid": {"id": 1}})),
        (TwilioStream, "[" * 100_000),
    ],
)
def test_the_malformed_messages_found_in_the_wild_are_refused(
    parser_type: type[StreamParser], text: str
) -> None:
    parser = parser_type()
    if parser_type is TwilioStream:
        parser.text(json.dumps(TWILIO_START))
    with pytest.raises(MediaStreamError):
        parser.text(text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused_before_they_reach_a_stored_source(constant: str) -> None:
    with pytest.raises(MediaStreamError, match="not valid JSON"):
        RawAudioStream().text(f'{{"callSid": "c-1", "extra": {constant}}}')
