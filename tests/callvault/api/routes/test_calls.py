"""Live calls against a real server: calls API, BXML, the media WebSocket, recordings and webhooks."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import av
import numpy as np
import pytest

from callvault.calls.media_stream import L16_8K, L16_16K, PCMU_8K, decode_payload, encode_samples
from callvault.cli.simulate import CallsClient, SimulationError, start_recording_bxml
from support.receiver import WebhookReceiver
from support.server import LiveServer

RATE = 8000


@pytest.fixture()
def calls(live_server: LiveServer) -> Iterator[CallsClient]:
    with CallsClient(
        live_server.url, live_server.username, live_server.password, live_server.account_id
    ) as c:
        yield c


def noise(seconds: float, seed: int, rate: int = RATE) -> np.ndarray:
    return np.random.default_rng(seed).integers(-12000, 12000, size=round(seconds * rate), dtype=np.int16)


def samples(seconds: float, rate: int = RATE) -> int:
    return round(seconds * rate)


def read_wav(data: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return w.getframerate(), frames.reshape(-1, w.getnchannels())


def new_call(calls: CallsClient, **extra: object) -> str:
    call = calls.create_call("+15551230001", "+15551230002", **extra)
    return str(call["callId"])


def test_ten_second_call_paused_from_three_to_five_gives_the_eight_unpaused_seconds(
    calls: CallsClient,
) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    audio = noise(10, seed=1)

    with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
        stream.send_audio({"inbound": audio[: samples(3)]})
        assert stream.mark() == 3.0
        calls.set_recording_state(call_id, "paused")
        assert calls.get_call(call_id)["recordingState"] == "paused"
        stream.send_audio({"inbound": audio[samples(3) : samples(5)]})
        assert stream.mark() == 5.0
        calls.set_recording_state(call_id, "recording")
        stream.send_audio({"inbound": audio[samples(5) :]})
        stream.stop()

    [recording] = calls.wait_for_recordings(call_id)
    assert recording["status"] == "complete"
    assert recording["duration"] == "PT8S"
    assert (recording["channels"], recording["fileFormat"]) == (1, "wav")
    rate, frames = read_wav(calls.download(recording["mediaUrl"]))
    assert rate == RATE
    expected = np.concatenate([audio[: samples(3)], audio[samples(5) :]])
    assert np.array_equal(frames[:, 0], expected)


def test_multichannel_puts_inbound_on_channel_one_and_outbound_on_channel_two(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id, multiChannel=True)
    inbound, outbound = noise(3, seed=2), noise(3, seed=3)

    with calls.media_stream(call_id, {"inbound": L16_8K, "outbound": L16_8K}) as stream:
        stream.send_audio({"inbound": inbound, "outbound": outbound})
        stream.stop()

    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["channels"], recording["duration"]) == (2, "PT3S")
    rate, frames = read_wav(calls.download(recording["mediaUrl"]))
    assert rate == RATE and frames.shape == (samples(3), 2)
    assert np.array_equal(frames[:, 0], inbound)
    assert np.array_equal(frames[:, 1], outbound)


def test_mono_mixes_both_tracks_and_a_wideband_track_makes_it_16_khz(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    inbound = noise(1, seed=4, rate=16000) // 2
    outbound = np.zeros(samples(1), dtype=np.int16)  # silence on the PCMU track: mu-law 0xFF is 0

    with calls.media_stream(call_id, {"inbound": L16_16K, "outbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": inbound, "outbound": outbound})
        stream.stop()

    [recording] = calls.wait_for_recordings(call_id)
    rate, frames = read_wav(calls.download(recording["mediaUrl"]))
    assert (rate, frames.shape) == (16000, (16000, 1))
    assert np.array_equal(frames[:, 0], inbound)


def test_mp3_recording_decodes_to_its_duration(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id, fileFormat="mp3")
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(samples(4)) / RATE)).astype(np.int16)
    pcmu = decode_payload(PCMU_8K, encode_samples(PCMU_8K, tone))

    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": tone})
        stream.stop()

    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["fileFormat"], recording["duration"], recording["status"]) == (
        "mp3",
        "PT4S",
        "complete",
    )
    data = calls.download(recording["mediaUrl"])
    assert data[:3] == b"ID3" or data[0] == 0xFF
    with av.open(io.BytesIO(data)) as container:
        decoded = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
        assert container.streams.audio[0].codec_context.sample_rate == RATE
    assert abs(len(decoded) / RATE - 4.0) < 0.2
    assert (
        np.sqrt(np.mean(decoded.astype(np.float64) ** 2))
        > 0.3 * np.sqrt(np.mean(pcmu.astype(np.float64) ** 2)) / 32768
    )


def test_recording_available_arrives_with_basic_auth_and_the_documented_fields(
    calls: CallsClient, webhook_receiver: WebhookReceiver, live_server: LiveServer
) -> None:
    call_id = new_call(calls, tag="call-tag")
    calls.start_recording(
        call_id,
        recordingAvailableUrl=webhook_receiver.url("/available"),
        username="hook-user",
        password="hook-secret",
        tag="recording-tag",
    )
    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": noise(2, seed=5)})
        stream.stop()

    [hook] = webhook_receiver.wait_for(lambda r: r.path == "/available", timeout=10)
    [recording] = calls.recordings(call_id)
    assert hook.method == "POST"
    assert hook.basic_auth == ("hook-user", "hook-secret")
    body = hook.json
    assert body["eventType"] == "recordingAvailable"
    assert body["accountId"] == live_server.account_id
    assert (body["callId"], body["recordingId"]) == (call_id, recording["recordingId"])
    assert (body["from"], body["to"], body["direction"]) == ("+15551230001", "+15551230002", "outbound")
    assert body["applicationId"] == "callvault-simulate"
    assert body["mediaUrl"] == recording["mediaUrl"]
    assert body["callUrl"] == f"{live_server.url}/accounts/{live_server.account_id}/calls/{call_id}"
    assert (body["duration"], body["fileFormat"], body["channels"]) == ("PT2S", "wav", 1)
    assert (body["status"], body["tag"]) == ("complete", "recording-tag")
    assert body["startTime"] == recording["startTime"] and body["endTime"] == recording["endTime"]
    assert "eventTime" in body


def test_recording_available_by_get_sends_the_fields_as_query(
    calls: CallsClient, webhook_receiver: WebhookReceiver
) -> None:
    call_id = new_call(calls)
    calls.start_recording(
        call_id, recordingAvailableUrl=webhook_receiver.url("/get-hook"), recordingAvailableMethod="GET"
    )
    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": noise(1, seed=6)})
        stream.stop()
    [hook] = webhook_receiver.wait_for(lambda r: r.path == "/get-hook", timeout=10)
    assert hook.method == "GET" and hook.basic_auth is None
    assert (hook.query["eventType"], hook.query["callId"], hook.query["status"]) == (
        "recordingAvailable",
        call_id,
        "complete",
    )


def test_a_stream_that_breaks_off_gives_a_partial_recording_and_the_call_stays_up(
    calls: CallsClient,
) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": noise(2, seed=7)})
        stream.mark()
    # closed without a stop event

    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["status"], recording["duration"]) == ("partial", "PT2S")
    call = calls.get_call(call_id)
    assert call["state"] == "answered" and "recordingState" not in call
    response = calls.http.put(
        f"/accounts/{calls.account_id}/calls/{call_id}/recording", json={"state": "paused"}
    )
    assert response.status_code == 400


def test_hang_up_finishes_the_recording_and_closes_the_stream(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
        stream.send_audio({"inbound": noise(1.5, seed=8)})
        stream.mark()
        calls.hang_up(call_id)
        stream.wait_closed(10)
        assert stream.ws.close_code == 1000

    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["status"], recording["duration"]) == ("complete", "PT1.5S")
    call = calls.get_call(call_id)
    assert (call["state"], call["disconnectCause"]) == ("disconnected", "hangup")
    assert "endTime" in call


def test_stop_recording_then_start_again_makes_two_recordings(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
        stream.send_audio({"inbound": noise(1, seed=9)})
        stream.mark()
        assert calls.put_bxml(call_id, "<Bxml><StopRecording/></Bxml>").status_code == 204
        stream.send_audio({"inbound": noise(0.5, seed=10)})  # not recorded
        stream.mark()
        calls.start_recording(call_id, fileFormat="mp3")
        stream.send_audio({"inbound": noise(2, seed=11)})
        stream.stop()
    first, second = calls.wait_for_recordings(call_id, count=2)
    assert (first["duration"], first["fileFormat"]) == ("PT1S", "wav")
    assert (second["duration"], second["fileFormat"]) == ("PT2S", "mp3")


def test_a_second_start_recording_is_ignored(calls: CallsClient) -> None:
    call_id = new_call(calls)
    calls.start_recording(call_id)
    first_id = calls.get_call(call_id)["recordingId"]
    calls.start_recording(call_id, fileFormat="mp3")
    assert calls.get_call(call_id)["recordingId"] == first_id
    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": noise(1, seed=12)})
        stream.stop()
    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["recordingId"], recording["fileFormat"]) == (first_id, "wav")


def test_put_recording_errors(calls: CallsClient) -> None:
    base = f"/accounts/{calls.account_id}/calls"
    unknown = calls.http.put(f"{base}/c-unknown-call/recording", json={"state": "paused"})
    assert (unknown.status_code, unknown.json()["type"]) == (404, "not-found")

    call_id = new_call(calls)
    idle = calls.http.put(f"{base}/{call_id}/recording", json={"state": "paused"})
    assert (idle.status_code, idle.json()["type"]) == (400, "validation")
    assert "no active recording" in idle.json()["description"]

    calls.start_recording(call_id)
    assert calls.http.put(f"{base}/{call_id}/recording", json={"state": "paused"}).status_code == 200
    assert calls.http.put(f"{base}/{call_id}/recording", json={"state": "paused"}).status_code == 200
    assert calls.http.put(f"{base}/{call_id}/recording", json={"state": "recording"}).status_code == 200
    calls.hang_up(call_id)
    ended = calls.http.put(f"{base}/{call_id}/recording", json={"state": "paused"})
    assert ended.status_code == 404


def test_bxml_errors_name_the_verb_or_attribute(calls: CallsClient) -> None:
    call_id = new_call(calls)
    speak = calls.put_bxml(call_id, "<Bxml><SpeakSentence>hello</SpeakSentence></Bxml>")
    assert (speak.status_code, speak.json()["type"]) == (400, "validation")
    assert "SpeakSentence" in speak.json()["description"]

    bad_format = calls.put_bxml(call_id, start_recording_bxml(fileFormat="ogg"))
    assert bad_format.status_code == 400 and "fileFormat" in bad_format.json()["description"]

    unknown_attribute = calls.put_bxml(call_id, '<Bxml><StartRecording colour="red"/></Bxml>')
    assert unknown_attribute.status_code == 400 and "colour" in unknown_attribute.json()["description"]

    assert calls.put_bxml(call_id, "<Bxml><StartRecording").status_code == 400
    entity = '<!DOCTYPE x [<!ENTITY a "b">]><Bxml>&a;</Bxml>'
    assert calls.put_bxml(call_id, entity).status_code == 400

    as_json = calls.http.put(f"/accounts/{calls.account_id}/calls/{call_id}/bxml", json={"a": 1})
    assert (as_json.status_code, as_json.json()["type"]) == (415, "unsupported-media-type")

    assert calls.put_bxml("c-no-such-call", "<Bxml><StopRecording/></Bxml>").status_code == 404
    assert "recordingId" not in calls.get_call(call_id)


def test_create_and_get_call(calls: CallsClient, live_server: LiveServer) -> None:
    created = calls.create_call(
        "+15550000001", "+15550000002", application_id="app-1", tag="t", direction="inbound"
    )
    assert created["state"] == "active"
    assert (created["from"], created["to"], created["direction"]) == (
        "+15550000001",
        "+15550000002",
        "inbound",
    )
    assert (created["applicationId"], created["accountId"], created["tag"]) == (
        "app-1",
        calls.account_id,
        "t",
    )
    assert created["callId"].startswith("c-") and created["startTime"].endswith("Z")
    got = calls.get_call(created["callId"])
    assert (got["state"], got["startTime"], got["direction"]) == ("answered", created["startTime"], "inbound")

    missing = calls.http.post(f"/accounts/{calls.account_id}/calls", json={"from": "+1"})
    assert missing.status_code == 400 and "to" in missing.json()["description"]
    bad_state = calls.http.post(
        f"/accounts/{calls.account_id}/calls/{created['callId']}", json={"state": "gone"}
    )
    assert bad_state.status_code == 400
    assert calls.http.get(f"/accounts/{calls.account_id}/calls/c-none").status_code == 404
    with live_server.client() as client:
        v2 = client.get(f"/api/v2/accounts/{live_server.account_id}/calls/{created['callId']}")
    assert v2.status_code == 200


def test_media_stream_refuses_bad_credentials_and_unknown_calls(live_server: LiveServer) -> None:
    with (
        CallsClient(
            live_server.url, live_server.username, "wrong-password", live_server.account_id
        ) as intruder,
        pytest.raises(SimulationError, match="HTTP 401"),
    ):
        intruder.media_stream("c-whatever", {"inbound": PCMU_8K}).open()
    account = live_server.account_id
    with (
        CallsClient(live_server.url, live_server.username, live_server.password, account) as calls,
        pytest.raises(SimulationError, match="HTTP 404"),
    ):
        calls.media_stream("c-no-such-call", {"inbound": PCMU_8K}).open()
    with (
        CallsClient(live_server.url, live_server.username, live_server.password, "1234567") as other,
        pytest.raises(SimulationError, match="HTTP 403"),
    ):
        other.media_stream("c-whatever", {"inbound": PCMU_8K}).open()


def test_media_stream_under_api_v2_and_a_malformed_message_breaks_the_stream(
    live_server: LiveServer,
) -> None:
    with CallsClient(
        live_server.url + "/api/v2", live_server.username, live_server.password, live_server.account_id
    ) as calls:
        call_id = new_call(calls)
        calls.start_recording(call_id)
        with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
            stream.send_audio({"inbound": noise(0.5, seed=13)})
            stream.ws.send('{"eventType": "media", "track": "sideways", "payload": ""}')
            stream.wait_closed(10)
            assert stream.ws.close_code == 1007
        [recording] = calls.wait_for_recordings(call_id)
    assert (recording["status"], recording["duration"]) == ("partial", "PT0.5S")
    assert "/api/v2/accounts/" in recording["mediaUrl"]
