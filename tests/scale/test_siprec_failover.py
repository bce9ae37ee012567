"""SIPREC failover across two SRS processes on PostgreSQL (issue #20, "No call left behind").

SIPp plays the SRC: it records a call on SRS A, which is SIGKILLed mid-call (the SRC's dialog dies
with it: its SIPp is killed too). SRS B, on the same database, media store and spool directory,
finishes A's recording from A's spool (`partial`), and its liveness loop ends the call within
4/3 x CALLVAULT_MEDIA_OWNER_TIMEOUT. Then the SRC re-establishes the session on B (a new INVITE, the
same SIPREC session id): the call goes on under the same call id and recording id, and the one
recording holds A's half, silence for the gap (noted in `source.gaps`), then B's half, sample for
sample, its duration exactly the sum of the three."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import time
import uuid
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from callvault.media.audio import mulaw_decode, mulaw_encode
from support import postgres
from support.needs import unavailable
from support.ports import free_port
from support.receiver import WebhookReceiver
from support.rtp_pcap import FRAME, leg_packets, write_pcap
from support.server import LiveServer, start_server
from support.siprec import SIPP_SCENARIO, run_cli, why_no_sipp

pytestmark = [pytest.mark.scale, pytest.mark.timeout(600)]

SCENARIO = SIPP_SCENARIO.with_name("siprec_failover.xml")
CALLER, CALLEE = "+15551230001", "+15551230002"
RATE = 8000


@pytest.fixture(autouse=True)
def sipp_installed() -> None:
    why = why_no_sipp()
    if why is not None:
        unavailable(why)


def parse_iso_duration(text: str) -> float:
    """'PT1M15.25S' -> 75.25 (the forms callvault writes)."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    assert match is not None, text
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def noise(seconds: float, seed: int) -> np.ndarray:
    """Never-silent audio G.711 carries exactly (so silence in the recording can only be the gap)."""
    count = round(seconds * RATE) // FRAME * FRAME
    samples = np.random.default_rng(seed).integers(500, 9000, count).astype(np.int16)
    samples *= np.random.default_rng(seed + 1).choice(np.array([-1, 1], dtype=np.int16), count)
    return np.asarray(mulaw_decode(mulaw_encode(samples)))


def sipp(
    tmp_path: Path, name: str, sip_port: int, session: str, legs: tuple[np.ndarray, np.ndarray], bye_ms: int
) -> subprocess.Popen[bytes]:
    """Start SIPp as the SRC of `session`, playing the two legs; the process (not waited for)."""
    work = tmp_path / name
    work.mkdir()
    pcap = work / "legs.pcap"
    write_pcap(
        pcap,
        leg_packets([(0.0, legs[0])], port_offset=0, ssrc=0x1111)
        + leg_packets([(0.0, legs[1])], port_offset=2, ssrc=0x2222, seq0=7000),
    )
    command = [
        "sipp", f"127.0.0.1:{sip_port}", "-sf", str(SCENARIO), "-m", "1", "-t", "u1",
        "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port() & ~1),
        "-key", "pcap", str(pcap), "-key", "caller", CALLER, "-key", "callee", CALLEE,
        "-key", "session", session, "-set", "bye_ms", str(bye_ms),
        "-timeout", "120s", "-timeout_error", "-nostdin", "-trace_err",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def active_calls(server: LiveServer, session: str) -> list[dict[str, Any]]:
    with server.client() as client:
        response = client.get(
            f"/api/v2/accounts/{server.account_id}/calls", params={"siprecSessionId": session}
        )
    assert response.status_code == 200, response.text
    return list(response.json())


def wait_for(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def spooled_seconds(spool_dir: Path) -> float:
    spools = list(spool_dir.glob("*.wav"))
    return max(((p.stat().st_size - 44) / 4 / RATE for p in spools), default=0.0)


def test_a_killed_srs_session_continues_on_another_as_one_recording(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    data = tmp_path / "data"  # one data dir: one spool directory (the SRSs share a machine)
    env = {
        "CALLVAULT_MEDIA_URL": str(tmp_path / "shared-media"),
        "CALLVAULT_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "CALLVAULT_MEDIA_OWNER_TIMEOUT": "1.5s",
    }
    rtp_low = 22000 + (os.getpid() % 200) * 40
    session = f"failover-{uuid.uuid4().hex[:12]}"
    first_legs, second_legs = (noise(30, 1), noise(30, 2)), (noise(4, 3), noise(4, 4))
    with postgres.fresh_database() as database_url:
        env["CALLVAULT_DATABASE_URL"] = database_url
        a = start_server(
            data, sip=True, env_overrides={**env, "CALLVAULT_SIP_RTP_PORTS": f"{rtp_low}-{rtp_low + 19}"}
        )
        b_env = {**env, "CALLVAULT_SIP_RTP_PORTS": f"{rtp_low + 20}-{rtp_low + 39}"}
        b = start_server(data, sip=True, env_overrides=b_env)
        src_a = src_b = None
        try:
            run_cli(
                a.env, data, "sip-sources", "add", "sipp", "--account", a.account_id, "--network", "127.0.0.1"
            )
            run_cli(
                a.env, data, "accounts", "recording", a.account_id,
                "--recording-available-url", webhook_receiver.url("/available"), "--multichannel",
            )  # fmt: skip
            assert a.sip_port is not None and b.sip_port is not None
            src_a = sipp(tmp_path, "src-a", a.sip_port, session, first_legs, bye_ms=60_000)
            [call] = wait_for("the call on A", lambda: active_calls(b, session))
            assert call["source"]["sessionId"] == session and call["source"]["type"] == "siprec"
            wait_for("3 s of audio spooled on A", lambda: spooled_seconds(data / "live") >= 3.0)
            os.kill(a.process.pid, signal.SIGKILL)
            a.process.wait(10)
            src_a.kill()  # the SRC's dialog with A is gone with A
            src_a.wait(10)
            killed_at = time.monotonic()

            wait_for("B to end the orphaned call", lambda: not active_calls(b, session))
            ended_after = time.monotonic() - killed_at
            with b.client() as client:
                state = client.get(f"/api/v2/accounts/{b.account_id}/calls/{call['callId']}").json()
            assert (state["state"], state["disconnectCause"]) == ("disconnected", "media-owner-lost")
            assert ended_after < 60  # 4/3 x 1.5 s after the last heartbeat, on an idle machine

            src_b = sipp(tmp_path, "src-b", b.sip_port, session, second_legs, bye_ms=4_500)
            [resumed] = wait_for("the call going on on B", lambda: active_calls(b, session))
            assert (resumed["callId"], resumed["recordingId"]) == (call["callId"], call["recordingId"])
            out, _ = src_b.communicate(timeout=120)
            assert src_b.returncode == 0, out.decode(errors="replace")[-3000:]

            hooks = webhook_receiver.wait_for(lambda hook: hook.json.get("status") == "complete", timeout=90)
            body = hooks[0].json
            assert (body["callId"], body["recordingId"]) == (call["callId"], call["recordingId"])
            path = f"/api/v2/accounts/{b.account_id}/calls/{call['callId']}/recordings/{call['recordingId']}"
            with b.client() as client:
                metadata = client.get(path).json()
                media = client.get(path + "/media").content
            with b.client() as client:
                listed = client.get(
                    f"/api/v2/accounts/{b.account_id}/calls/{call['callId']}/recordings"
                ).json()
        finally:
            for process in (src_a, src_b):
                if process is not None and process.poll() is None:
                    process.kill()
            a.stop()
            b.stop()

    assert len(listed) == 1  # one recording, not two
    [gap] = metadata["source"]["gaps"]
    with wave.open(io.BytesIO(media)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (RATE, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    at = round(parse_iso_duration(gap["at"]) * RATE)
    gap_frames = len(samples) - at - len(second_legs[0])
    assert at >= 3 * RATE  # A's half: at least what A had spooled when it was killed
    assert abs(gap_frames / RATE - parse_iso_duration(gap["duration"])) <= 0.001 + FRAME / RATE
    assert metadata["duration"] == body["duration"]
    assert parse_iso_duration(metadata["duration"]) == pytest.approx(len(samples) / RATE, abs=0.001)
    for channel, (first, second) in enumerate(zip(first_legs, second_legs, strict=True)):
        assert np.array_equal(samples[:at, channel], first[:at])  # A's half, as the SRC sent it
        assert np.array_equal(samples[-len(second) :, channel], second)  # B's half, whole
        silence = samples[at : len(samples) - len(second), channel]
        assert len(silence) == gap_frames and not silence.any()  # the gap, and nothing else
