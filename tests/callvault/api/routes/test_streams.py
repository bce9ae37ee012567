"""CPaaS media streams into callvault for calls it has never seen: a Twilio Media Stream and a raw
L16 stream (jambonz listen / mod_audio_fork) each create a call and a recording sample-identical to
the audio sent; tokens are checked and revocable; bad frames close the socket with 1007."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from callvault.media.audio import mulaw_decode, mulaw_encode
from support.receiver import WebhookReceiver
from support.server import LiveServer, ServerFactory
from support.siprec import run_cli

FRAME = 160


@pytest.fixture
def streaming(live_server: LiveServer, webhook_receiver: WebhookReceiver) -> tuple[LiveServer, str]:
    run_cli(
        live_server.env, live_server.data_dir, "accounts", "recording", live_server.account_id,
        "--recording-available-url", webhook_receiver.url("/available"), "--multichannel",
    )  # fmt: skip
    token = run_cli(
        live_server.env, live_server.data_dir, "stream-tokens", "create", f"t-{uuid.uuid4().hex[:6]}",
        "--account", live_server.account_id,
    ).strip()  # fmt: skip
    return live_server, token


def ws_url(server: LiveServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def recording(
    server: LiveServer, receiver: WebhookReceiver, call_id: str
) -> tuple[dict[str, object], np.ndarray]:
    hook = next(h for h in receiver.wait_for(1, timeout=30) if h.json["callId"] == call_id)
    with server.client() as client:
        response = client.get(str(hook.json["mediaUrl"]))
    with wave.open(io.BytesIO(response.content)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, wav.getnchannels())
        return {**hook.json, "rate": wav.getframerate()}, samples


def speech(seconds: float, seed: int) -> np.ndarray:
    samples = np.random.default_rng(seed).integers(-12000, 12000, round(seconds * 8000)).astype(np.int16)
    return np.asarray(mulaw_decode(mulaw_encode(samples)))


def test_twilio_media_stream_is_recorded_sample_identical(
    streaming: tuple[LiveServer, str], webhook_receiver: WebhookReceiver
) -> None:
    server, token = streaming
    call_sid = f"CA{uuid.uuid4().hex}"
    inbound, outbound = speech(2.0, 1), speech(2.0, 2)
    start = {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": "AC0000",
            "streamSid": "MZ0001",
            "callSid": call_sid,
            "tracks": ["inbound", "outbound"],
            "customParameters": {"from": "+15551230001", "to": "+15551230002"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
        "streamSid": "MZ0001",
    }
    with connect(ws_url(server, f"/ingest/streams/twilio/{token}")) as ws:
        ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        ws.send(json.dumps(start))
        for index in range(len(inbound) // FRAME):
            for track, audio in (("inbound", inbound), ("outbound", outbound)):
                chunk = mulaw_encode(audio[index * FRAME : (index + 1) * FRAME])
                media = {"track": track, "chunk": str(index + 1), "timestamp": str(index * 20),
                         "payload": base64.b64encode(chunk).decode()}  # fmt: skip
                ws.send(json.dumps({"event": "media", "streamSid": "MZ0001", "media": media}))
        ws.send(json.dumps({"event": "mark", "streamSid": "MZ0001", "mark": {"name": "end"}}))
        ws.send(json.dumps({"event": "stop", "streamSid": "MZ0001", "stop": {"callSid": call_sid}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000

    hook, samples = recording(server, webhook_receiver, call_sid)
    assert hook["status"] == "complete" and hook["from"] == "+15551230001" and hook["to"] == "+15551230002"
    assert np.array_equal(samples[:, 0], inbound) and np.array_equal(samples[:, 1], outbound)
    with server.client() as client:
        metadata = client.get(
            f"/api/v2/accounts/{server.account_id}/calls/{call_sid}/recordings/{hook['recordingId']}"
        ).json()
    assert metadata["source"] == {
        "type": "twilio", "accountSid": "AC0000", "callSid": call_sid, "streamSid": "MZ0001",
        "customParameters": {"from": "+15551230001", "to": "+15551230002"},
    }  # fmt: skip
    with server.client() as client:
        call = client.get(f"/api/v2/accounts/{server.account_id}/calls/{call_sid}").json()
    assert call["state"] == "disconnected"


@pytest.mark.parametrize("rate", [8000, 16000])
def test_raw_l16_stereo_stream_is_recorded_sample_identical(
    streaming: tuple[LiveServer, str], webhook_receiver: WebhookReceiver, rate: int
) -> None:
    server, token = streaming
    call_id = f"jambonz-{uuid.uuid4().hex[:12]}"
    rng = np.random.default_rng(rate)
    left = rng.integers(-20000, 20000, rate * 2).astype(np.int16)
    right = rng.integers(-20000, 20000, rate * 2).astype(np.int16)
    interleaved = np.stack([left, right], axis=1).astype("<i2").tobytes()
    with connect(ws_url(server, f"/ingest/streams/raw/{token}")) as ws:
        ws.send(
            json.dumps({"callSid": call_id, "from": "+15551239999", "sampleRate": rate, "mixType": "stereo"})
        )
        for offset in range(0, len(interleaved), 1283):  # frames that split samples
            ws.send(interleaved[offset : offset + 1283])
    hook, samples = recording(server, webhook_receiver, call_id)
    assert hook["status"] == "complete" and hook["rate"] == rate
    assert np.array_equal(samples[:, 0], left) and np.array_equal(samples[:, 1], right)


def test_tokens_are_checked_and_revocable(live_server: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(live_server, "/ingest/streams/twilio/cvst_not-a-token"))
    assert refused.value.response.status_code == 401
    created = run_cli(
        live_server.env,
        live_server.data_dir,
        "stream-tokens",
        "create",
        "short-lived",
        "--account",
        live_server.account_id,
    ).strip()
    listing = run_cli(
        live_server.env, live_server.data_dir, "stream-tokens", "list", "--account", live_server.account_id
    )
    token_id = next(line.split()[1] for line in listing.splitlines() if "short-lived" in line)
    with connect(ws_url(live_server, f"/ingest/streams/raw/{created}")):
        pass
    run_cli(live_server.env, live_server.data_dir, "stream-tokens", "revoke", token_id)
    with pytest.raises(InvalidStatus) as revoked:
        connect(ws_url(live_server, f"/ingest/streams/raw/{created}"))
    assert revoked.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as unknown_format:
        connect(ws_url(live_server, f"/ingest/streams/mystery/{created}"))
    assert unknown_format.value.response.status_code == 404


def test_basic_auth_stream_and_bad_frames_close_1007(
    live_server: LiveServer, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    user, password = live_server.auth
    url = ws_url(live_server, f"/ingest/accounts/{live_server.account_id}/streams/twilio")
    headers = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    with connect(url, additional_headers=headers) as ws:
        ws.send(json.dumps({"event": "media", "media": {"payload": ""}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    assert "start" in closed.value.rcvd.reason
    with pytest.raises(InvalidStatus) as anonymous:
        connect(url)
    assert anonymous.value.response.status_code == 401


def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def twilio_start(call_sid: str, parameters: dict[str, str] | None = None) -> str:
    start = {
        "callSid": call_sid,
        "streamSid": "MZ9",
        "tracks": ["inbound"],
        "customParameters": parameters or {},
    }
    return json.dumps({"event": "start", "start": start})


def test_malformed_values_and_oversized_metadata_close_the_stream_with_a_reason(
    streaming: tuple[LiveServer, str],
) -> None:
    server, token = streaming
    url = ws_url(server, f"/ingest/streams/twilio/{token}")
    with connect(url) as ws:
        ws.send(twilio_start(f"CA{uuid.uuid4().hex}"))
        ws.send(json.dumps({"event": "media", "media": {"timestamp": "²", "payload": ""}}))
        code, reason = closed_with(ws)
    assert code == 1007 and "timestamp" in reason, reason
    with connect(ws_url(server, f"/ingest/streams/raw/{token}")) as ws:
        ws.send(json.dumps({"callSid": f"raw-{uuid.uuid4().hex}", "channels": 1.0}))
        code, reason = closed_with(ws)
    assert code == 1007 and "channels" in reason, reason
    call_sid = f"CA{uuid.uuid4().hex}"
    with connect(url) as ws:
        ws.send(twilio_start(call_sid, {f"p{index}": "x" * 100 for index in range(100)}))
        code, reason = closed_with(ws)
    assert code == 1009 and "metadata" in reason, reason
    with server.client() as client:  # refused before any call or recording was made
        assert client.get(f"/api/v2/accounts/{server.account_id}/calls/{call_sid}").status_code == 404


@pytest.fixture
def limited_server(server_factory: ServerFactory, tmp_path: Path) -> tuple[LiveServer, str]:
    server = server_factory(
        tmp_path / "limited",
        env_overrides={"CALLVAULT_MAX_STREAMS_PER_SOURCE": "1", "CALLVAULT_MAX_LIVE_SESSION_SECONDS": "3s"},
    )
    token = run_cli(
        server.env,
        server.data_dir,
        "stream-tokens",
        "create",
        "one-at-a-time",
        "--account",
        server.account_id,
    ).strip()
    return server, token.strip()


def test_streams_per_token_and_session_length_are_limited(limited_server: tuple[LiveServer, str]) -> None:
    server, token = limited_server
    call_id = f"long-{uuid.uuid4().hex[:8]}"
    with connect(ws_url(server, f"/ingest/streams/raw/{token}")) as first:
        first.send(json.dumps({"callSid": call_id, "sampleRate": 8000}))
        first.send(np.zeros(8000, dtype="<i2").tobytes())
        with pytest.raises(InvalidStatus) as second:
            connect(ws_url(server, f"/ingest/streams/raw/{token}"))
        assert second.value.response.status_code == 429
        code, reason = closed_with(first)  # about 3 s after it opened
    assert code == 1008 and "maximum length" in reason, reason
    with server.client() as client:
        for _ in range(600):
            recordings = client.get(f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings").json()
            if recordings:
                break
            time.sleep(0.1)
    assert [(r["status"], r["duration"]) for r in recordings] == [("partial", "PT1S")]
    with connect(ws_url(server, f"/ingest/streams/raw/{token}")):  # the slot was given back
        pass
    assert "passed its maximum length" in server.log()


def twilio_two_track_start(call_sid: str) -> str:
    return json.dumps({
        "event": "start",
        "start": {
            "accountSid": "AC0000", "streamSid": "MZ0002", "callSid": call_sid,
            "tracks": ["inbound", "outbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    })  # fmt: skip


def twilio_media(track: str, timestamp_ms: int, samples: np.ndarray) -> str:
    payload = base64.b64encode(mulaw_encode(samples)).decode()
    media = {"track": track, "timestamp": str(timestamp_ms), "payload": payload}
    return json.dumps({"event": "media", "streamSid": "MZ0002", "media": media})


def stop_and_wait_for_close(ws: ClientConnection, call_sid: str) -> None:
    ws.send(json.dumps({"event": "stop", "streamSid": "MZ0002", "stop": {"callSid": call_sid}}))
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=60)


def test_twilio_silence_suppression_on_one_track_keeps_the_call_exactly_as_long(
    streaming: tuple[LiveServer, str], webhook_receiver: WebhookReceiver
) -> None:
    """A 30 s two-track call whose outbound party sends nothing from 10 to 20 s (Twilio sends no
    media for a track with nothing to send): 30 s exactly, outbound's later audio at 20-30 s."""
    server, token = streaming
    call_sid = f"CA{uuid.uuid4().hex}"
    inbound, outbound = speech(30.0, 11), speech(30.0, 12)
    with connect(ws_url(server, f"/ingest/streams/twilio/{token}")) as ws:
        ws.send(twilio_two_track_start(call_sid))
        for index in range(len(inbound) // FRAME):
            span = slice(index * FRAME, (index + 1) * FRAME)
            ws.send(twilio_media("inbound", index * 20, inbound[span]))
            if not 500 <= index < 1000:
                ws.send(twilio_media("outbound", index * 20, outbound[span]))
        stop_and_wait_for_close(ws, call_sid)

    hook, samples = recording(server, webhook_receiver, call_sid)
    assert hook["status"] == "complete" and hook["duration"] == "PT30S"
    expected_outbound = outbound.copy()
    expected_outbound[10 * 8000 : 20 * 8000] = 0
    assert samples.shape == (30 * 8000, 2)
    assert np.array_equal(samples[:, 0], inbound)
    assert np.array_equal(samples[:, 1], expected_outbound)


def _rss_mb(server: LiveServer) -> float:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_twilio_timestamp_bomb_yields_a_bounded_recording_and_the_server_keeps_answering(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    """0 ms, then 36,000,000 ms (ten hours on): the gap's silence may not run the recording ahead
    of the wall clock by more than a few seconds; audio after the jump follows on from there."""
    server = server_factory(tmp_path / "data")
    run_cli(
        server.env, server.data_dir, "accounts", "recording", server.account_id,
        "--recording-available-url", webhook_receiver.url("/available"), "--multichannel",
    )  # fmt: skip
    token = run_cli(
        server.env, server.data_dir, "stream-tokens", "create", "bomb", "--account", server.account_id
    ).strip()
    call_sid = f"CA{uuid.uuid4().hex}"
    audio = speech(1.0, 13)
    rss_before = _rss_mb(server)
    began = time.monotonic()
    with connect(ws_url(server, f"/ingest/streams/twilio/{token}")) as ws, server.client() as api:
        ws.send(twilio_two_track_start(call_sid))
        ws.send(twilio_media("inbound", 0, audio[:FRAME]))
        for packet in range(len(audio) // FRAME):  # both tracks jump ten hours ahead
            for track in ("inbound", "outbound"):
                ws.send(
                    twilio_media(
                        track, 36_000_000 + packet * 20, audio[packet * FRAME : (packet + 1) * FRAME]
                    )
                )
        assert api.get("/healthz", timeout=60).status_code == 200
        stop_and_wait_for_close(ws, call_sid)
    streamed_for = time.monotonic() - began

    hook = next(h for h in webhook_receiver.wait_for(1, timeout=60) if h.json["callId"] == call_sid)
    with server.client() as api:
        stored = api.get(
            f"/api/v2/accounts/{server.account_id}/calls/{call_sid}/recordings/{hook.json['recordingId']}"
        ).json()
        assert api.get("/healthz", timeout=60).status_code == 200
    seconds = _iso_seconds(stored["duration"])
    assert 1.0 <= seconds <= streamed_for + 5.0 + 1.02 + 1.0, stored["duration"]  # not PT10H
    assert _rss_mb(server) - rss_before < 200
    assert "media clock jumped" in server.log()


def _iso_seconds(duration: str) -> float:
    """PT1M2.5S -> 62.5 (the durations a recording has)."""
    body = duration.removeprefix("PT")
    total = 0.0
    for unit, factor in (("H", 3600), ("M", 60), ("S", 1)):
        if unit in body:
            value, body = body.split(unit, 1)
            total += float(value) * factor
    return total


def _stream_raw(server: LiveServer, token: str, call_id: str, samples: np.ndarray) -> None:
    with connect(ws_url(server, f"/ingest/streams/raw/{token}")) as ws:
        ws.send(json.dumps({"callSid": call_id, "sampleRate": 8000, "mixType": "mono"}))
        ws.send(samples.astype("<i2").tobytes())


def _stored_audio(server: LiveServer, account_id: str, call_id: str) -> np.ndarray:
    base = f"/api/v2/accounts/{account_id}/calls/{call_id}/recordings"
    deadline = time.monotonic() + 60
    with server.client() as client:
        while True:
            listed = client.get(base).json()
            if listed and listed[0]["status"] == "complete":
                break
            assert time.monotonic() < deadline, listed
            time.sleep(0.1)
        assert len(listed) == 1, listed
        media = client.get(f"{base}/{listed[0]['recordingId']}/media")
    with wave.open(io.BytesIO(media.content)) as wav:  # the first channel: the account may record stereo
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return frames.reshape(-1, wav.getnchannels())[:, 0]


def test_two_accounts_may_stream_the_same_call_id_and_neither_learns_of_the_other(
    live_server: LiveServer,
) -> None:
    """Call ids are unique within an account: a second account's stream of an existing call id is a
    call of its own (no 1008 "belongs to another account"), and each account sees only its audio."""
    server, call_id = live_server, f"CA{uuid.uuid4().hex}"
    first, second = server.account_id, "9900001"
    tokens = {
        account: run_cli(
            server.env,
            server.data_dir,
            "stream-tokens",
            "create",
            f"t-{uuid.uuid4().hex[:6]}",
            "--account",
            account,
        ).strip()  # fmt: skip
        for account in (first, second)
    }
    audio = {first: speech(1.0, 11), second: speech(1.5, 12)}
    for account in (first, second):
        _stream_raw(server, tokens[account], call_id, audio[account])

    for account in (first, second):
        assert np.array_equal(_stored_audio(server, account, call_id), audio[account])
    with server.client() as client:
        for account in (first, second):
            call = client.get(f"/api/v2/accounts/{account}/calls/{call_id}")
            assert call.status_code == 200 and call.json()["accountId"] == account


def test_active_calls_are_listed_with_their_source_while_they_stream(
    streaming: tuple[LiveServer, str],
) -> None:
    """GET /accounts/{a}/calls: the calls in progress, found by stream id or number, with `source`."""
    server, token = streaming
    call_sid, stream_sid = f"CA{uuid.uuid4().hex}", f"MZ{uuid.uuid4().hex}"
    start = {
        "event": "start",
        "start": {"accountSid": "AC0000", "streamSid": stream_sid, "callSid": call_sid, "tracks": ["inbound"],
                  "customParameters": {"from": "+15551234567", "to": "+15557654321"}},
        "streamSid": stream_sid,
    }  # fmt: skip
    calls = f"/api/v2/accounts/{server.account_id}/calls"

    def listed(**params: str) -> list[str]:
        with server.client() as client:
            response = client.get(calls, params=params)
        assert response.status_code == 200, response.text
        return [str(call["callId"]) for call in response.json()]

    with connect(ws_url(server, f"/ingest/streams/twilio/{token}")) as ws:
        ws.send(json.dumps(start))
        deadline = time.monotonic() + 30
        while call_sid not in listed(streamId=stream_sid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with server.client() as client:
            [call] = client.get(calls, params={"streamId": stream_sid}).json()
        assert (call["callId"], call["state"], call["from"]) == (call_sid, "answered", "+15551234567")
        assert call["source"]["type"] == "twilio" and call["source"]["streamSid"] == stream_sid
        assert call["recordingState"] == "recording" and call["recordingId"].startswith("r-")
        assert call_sid in listed()
        assert listed(**{"from": " 15551234567", "to": "+15557654321"}) == [call_sid]  # " 1..." is "+1..."
        assert call_sid not in listed(**{"from": "+15550000000"})
        assert listed(streamId="MZ-other") == [] and listed(siprecSessionId=stream_sid) == []
        ws.send(json.dumps({"event": "stop", "streamSid": stream_sid, "stop": {"callSid": call_sid}}))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    deadline = time.monotonic() + 30
    while call_sid in listed() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert call_sid not in listed()
    with server.client() as client:
        bad = client.get(calls, params={"streamId": "a\x01b"})
    assert bad.status_code == 400
