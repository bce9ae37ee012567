"""Every live source through the one seam (services/live_audio.py), without HTTP: the Bandwidth call
WebSocket's parser, each stream format and a SIPREC session each become the same events in the same
recording session, and their recordings hold exactly the audio sent."""

from __future__ import annotations

import base64
import io
import json
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.bxml import StartRecording
from callvault.calls.media_stream import PCMU_8K, build_mark, build_media, build_start, build_stop
from callvault.calls.siprec.metadata import Participant, RecordingMetadata
from callvault.calls.stream_formats import stream_parser
from callvault.calls.stream_formats.events import StreamAudio, StreamMark, StreamParser, StreamStarted
from callvault.domain.errors import MediaStreamError
from callvault.domain.records import Recording
from callvault.domain.sources import SipSource
from callvault.media.audio import mulaw_decode, mulaw_encode
from callvault.services import live_calls as call_service
from callvault.services.container import Services, build_services
from callvault.services.live_audio import Ending, LiveAudioSession
from callvault.services.siprec import SiprecCalls
from callvault.settings import Settings
from callvault.store import calls_repo, recordings_repo

ACCOUNT = "9900000"
BASE = "http://callvault.test"
FRAME = 160


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False))
    yield built
    built.close()


def speech(seed: int, seconds: float = 1.0) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(-12000, 12000, round(seconds * 8000)).astype(np.int16)
    return np.asarray(mulaw_decode(mulaw_encode(noise)))  # exactly representable in G.711


def frames(audio: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(audio), FRAME):
        yield audio[start : start + FRAME]


def bandwidth_frames(call_id: str, audio: np.ndarray) -> list[str | bytes]:
    start = build_start(account_id=ACCOUNT, call_id=call_id, stream_id="s-1", tracks={"inbound": PCMU_8K})
    media = [build_media("inbound", index, mulaw_encode(chunk)) for index, chunk in enumerate(frames(audio))]
    return [start, *media, build_stop()]


def twilio_frames(call_id: str, audio: np.ndarray) -> list[str | bytes]:
    start = {"callSid": call_id, "streamSid": "MZ1", "tracks": ["inbound"], "customParameters": {}}
    media = [
        json.dumps(
            {
                "event": "media",
                "media": {
                    "track": "inbound",
                    "timestamp": str(index * 20),
                    "payload": base64.b64encode(mulaw_encode(chunk)).decode(),
                },
            }
        )
        for index, chunk in enumerate(frames(audio))
    ]
    return [json.dumps({"event": "start", "start": start}), *media, json.dumps({"event": "stop"})]


def raw_frames(call_id: str, audio: np.ndarray) -> list[str | bytes]:
    return [json.dumps({"callSid": call_id, "sampleRate": 8000}), audio.astype("<i2").tobytes()]


def pump(session: LiveAudioSession, parser: StreamParser, messages: list[str | bytes]) -> list[str]:
    """What the WebSocket pump does with frames, minus the socket: events into the session."""
    replies = []
    for message in messages:
        events = parser.text(message) if isinstance(message, str) else parser.binary(message)
        for event in events:
            if isinstance(event, StreamMark):
                replies.append(parser.mark_reply(event, session.position_seconds))
            session.handle(event)
    return replies


def stored(services: Services, call_id: str) -> tuple[Recording, np.ndarray]:
    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, call_id)
    assert recording.media_key is not None
    media = io.BytesIO(b"".join(services.blobs.open(recording.media_key)))  # decrypted
    with wave.open(media) as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return recording, pcm.reshape(-1, wav.getnchannels())[:, 0]  # the inbound track


FORMATS: dict[str, Callable[[str, np.ndarray], list[str | bytes]]] = {
    "bandwidth": bandwidth_frames,
    "twilio": twilio_frames,
    "raw": raw_frames,
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_stream_format_records_its_audio_through_the_seam(services: Services, name: str) -> None:
    audio = speech(seed=len(name))
    call_id = f"c-{name}-1"
    session = LiveAudioSession(services, ACCOUNT)
    parser = stream_parser(name)
    assert parser is not None
    pump(session, parser, FORMATS[name](call_id, audio))
    session.close("stopped")

    recording, samples = stored(services, call_id)
    assert recording.status == "complete" and np.array_equal(samples, audio)
    assert (
        recording.source is not None
        and recording.source["callId" if name != "twilio" else "callSid"] == call_id
    )
    assert call_service.get_call(services, ACCOUNT, call_id).state == "completed"  # ended with its stream


def test_the_bandwidth_call_websocket_records_a_call_callvault_runs(services: Services) -> None:
    request = call_service.parse_create_call({"from": "+15550001", "to": "+15550002", "applicationId": "a"})
    call_id = call_service.create_call(services, ACCOUNT, request, base_url=BASE).call_id
    call_service.execute_verbs(services, ACCOUNT, call_id, [StartRecording()], base_url=BASE)
    audio = speech(seed=7)
    session = LiveAudioSession.of_active_call(services, ACCOUNT, call_id)
    parser = stream_parser("bandwidth")
    assert parser is not None
    messages = bandwidth_frames(call_id, audio)
    replies = pump(session, parser, [*messages[:-1], build_mark("end"), messages[-1]])
    session.close("stopped")

    assert [json.loads(reply) for reply in replies] == [{"eventType": "mark", "name": "end", "position": 1.0}]
    recording, samples = stored(services, call_id)
    assert recording.status == "complete" and np.array_equal(samples, audio)
    assert call_service.get_call(services, ACCOUNT, call_id).state == "active"  # the call is not the stream's
    with pytest.raises(MediaStreamError, match="this stream is for call"):
        other = LiveAudioSession.of_active_call(services, ACCOUNT, call_id)
        other.handle(StreamStarted(call_id="c-elsewhere", tracks={"inbound": 8000}))


def test_a_siprec_session_is_the_same_events_into_the_same_session(services: Services) -> None:
    source = SipSource(name="sbc", account_id=ACCOUNT)
    metadata = RecordingMetadata(
        session_id="rs-1",
        sip_session_id=None,
        original_call_id="orig-1",
        start_time=None,
        participants=(Participant("p1", "sip:+15551230001@x"), Participant("p2", "sip:+15551230002@x")),
    )
    inbound = speech(seed=1, seconds=2.0)
    call = SiprecCalls(services).open(source, metadata, ("inbound",), "sip-call-1", on_ended=lambda: None)
    chunks = list(frames(inbound))
    for chunk in chunks[:50]:
        call.add_audio("inbound", chunk)
    call.hold()
    for chunk in chunks[50:75]:
        call.add_audio("inbound", chunk)  # held: not recorded
    call.resume()
    for chunk in chunks[75:]:
        call.add_audio("inbound", chunk)
    call.end()

    recording, samples = stored(services, call.call_id)
    assert recording.status == "complete"
    assert np.array_equal(samples, np.concatenate([inbound[: 50 * FRAME], inbound[75 * FRAME :]]))
    assert recording.source is not None and recording.source["sessionId"] == "rs-1"
    assert (recording.from_number, recording.to_number) == ("+15551230001", "+15551230002")
    with services.store.read() as conn:
        ended = calls_repo.get_call(conn, ACCOUNT, call.call_id)
    assert ended is not None and ended.state == "completed"


@pytest.mark.parametrize(
    ("ending", "status"), [("stopped", "complete"), ("dropped", "partial"), ("failed", "partial")]
)
def test_how_a_source_ended_decides_the_recording_status(
    services: Services, ending: Ending, status: str
) -> None:
    session = LiveAudioSession(services, ACCOUNT)
    call_id = f"c-ended-{ending}"
    session.handle(StreamStarted(call_id=call_id, tracks={"inbound": 8000}))
    session.handle(StreamAudio("inbound", speech(seed=3)))
    session.close(ending)
    recording, _samples = stored(services, call_id)
    assert (recording.status, recording.duration_seconds) == (status, 1.0)


def test_audio_before_the_start_is_refused(services: Services) -> None:
    with pytest.raises(MediaStreamError, match="must begin with a start event"):
        LiveAudioSession(services, ACCOUNT).handle(StreamAudio("inbound", speech(seed=4)))
