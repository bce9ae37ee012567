"""A SIPREC session from a Python client against `callvault serve --sip`, with RTP the network
mangled: lost, reordered and duplicated packets. The recording keeps the call's clock: it is as
long as the audio sent, with silence exactly where packets were lost. Also the API's pause/resume
(`PUT .../recording`) and hang-up on a SIPREC call."""

from __future__ import annotations

import io
import os
import random
import time
import wave
from pathlib import Path

import numpy as np

from callvault.media.audio import mulaw_decode, mulaw_encode
from support.receiver import WebhookReceiver
from support.server import LiveServer, ServerFactory
from support.sip_client import Client, send_rtp
from support.siprec import run_cli

FRAME = 160


def start(server_factory: ServerFactory, tmp_path: Path, receiver: WebhookReceiver) -> tuple[LiveServer, int]:
    low = 23000 + (os.getpid() % 300) * 20
    server = server_factory(
        tmp_path / "data",
        sip=True,
        env_overrides={"CALLVAULT_SIP_RTP_PORTS": f"{low}-{low + 19}", "CALLVAULT_SIP_JITTER_BUFFER": "80ms"},
    )
    run_cli(
        server.env,
        server.data_dir,
        "sip-sources",
        "add",
        "py",
        "--account",
        server.account_id,
        "--network",
        "127.0.0.0/8",
    )
    run_cli(
        server.env, server.data_dir, "accounts", "recording", server.account_id,
        "--recording-available-url", receiver.url("/available"),
    )  # fmt: skip
    assert server.sip_port is not None
    return server, server.sip_port


def channels_of(server: LiveServer, media_url: str) -> np.ndarray:
    with server.client() as client:
        response = client.get(media_url)
    assert response.status_code == 200
    with wave.open(io.BytesIO(response.content)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, wav.getnchannels())


def paced(port: int, packets: list[tuple[int, int, bytes]], ssrc: int, spacing: float = 0.02) -> None:
    for packet in packets:
        send_rtp(port, [packet], ssrc)
        time.sleep(spacing)


def test_lost_reordered_and_duplicated_rtp(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    server, sip_port = start(server_factory, tmp_path, webhook_receiver)
    client = Client(sip_port)
    response = client.invite()
    assert response.status == 200, response.reason
    first = int(
        next(line.split()[1] for line in response.body.decode().splitlines() if line.startswith("m=audio"))
    )

    rng = np.random.default_rng(7)
    speech = np.asarray(mulaw_decode(mulaw_encode(rng.integers(-9000, 9000, 100 * FRAME).astype(np.int16))))
    packets = [
        (500 + i, 1000 + i * FRAME, mulaw_encode(speech[i * FRAME : (i + 1) * FRAME])) for i in range(100)
    ]
    lost = {10, 11, 12, 40, 77}
    arrivals = [p for i, p in enumerate(packets) if i not in lost]
    shuffle = random.Random(3)
    for index in range(0, len(arrivals) - 3, 6):  # neighbours swap places
        arrivals[index], arrivals[index + 2] = arrivals[index + 2], arrivals[index]
    for index in sorted(shuffle.sample(range(len(arrivals)), 8), reverse=True):  # duplicates
        arrivals.insert(index + 1, arrivals[index])
    paced(first, arrivals, ssrc=0xABCDEF)
    time.sleep(0.3)
    client.request("BYE")
    assert client.final().status == 200

    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    body = hook.json
    assert body["status"] == "complete" and body["channels"] == 2
    recorded = channels_of(server, body["mediaUrl"])
    expected = speech.copy()
    for index in lost:
        expected[index * FRAME : (index + 1) * FRAME] = 0
    assert len(recorded) == len(speech)
    assert np.array_equal(recorded[:, 0], expected)
    assert not recorded[:, 1].any()  # the callee's stream sent nothing: silence


def test_api_pause_resume_and_hang_up_on_a_siprec_call(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    server, sip_port = start(server_factory, tmp_path, webhook_receiver)
    client = Client(sip_port)
    response = client.invite()
    assert response.status == 200
    first, second = (
        int(line.split()[1]) for line in response.body.decode().splitlines() if line.startswith("m=audio")
    )
    with server.client() as api:
        calls = server.db_rows("SELECT call_id FROM calls WHERE account_id = :a", a=server.account_id)
        (call_id,) = calls[-1]
        tone = mulaw_encode(np.full(FRAME, 1000, dtype=np.int16))
        paced(first, [(i, i * FRAME, tone) for i in range(50)], ssrc=1)
        call_path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}"
        assert api.put(f"{call_path}/recording", json={"state": "paused"}).status_code == 200
        paced(first, [(i, i * FRAME, tone) for i in range(50, 100)], ssrc=1)
        assert api.put(f"{call_path}/recording", json={"state": "recording"}).status_code == 200
        paced(first, [(i, i * FRAME, tone) for i in range(100, 150)], ssrc=1)
        time.sleep(0.3)
        assert api.post(call_path, json={"state": "completed"}).status_code == 200
    bye = client.receive()
    assert getattr(bye, "method", None) == "BYE"
    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    body = hook.json
    recorded = channels_of(server, body["mediaUrl"])
    # 150 packets sent, about 50 of them while paused: cut on the media clock where the API said
    assert 95 * FRAME <= len(recorded) <= 105 * FRAME, len(recorded)
    assert second > first


def test_a_siprec_session_that_never_receives_rtp_is_not_a_complete_recording(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    """No packet ever arrives: the recording ends `partial` (no audio was received), never a
    `complete` empty one."""
    server, sip_port = start(server_factory, tmp_path, webhook_receiver)
    client = Client(sip_port)
    assert client.invite().status == 200
    client.request("BYE")
    assert client.final().status == 200

    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    assert hook.json["status"] == "partial"
    assert hook.json["duration"] == "PT0S"
    assert "received no audio" in server.log()
