"""SIPREC end to end: SIPp as the recording client (tests/sipp/siprec_src.xml) against `callvault
serve --sip`, two RTP legs of real speech (Asterisk prompts), a pause by re-INVITE a=inactive while
the client keeps talking, a resume, a BYE. The recording must be exactly the unpaused speech, each
party on its own channel, announced by recordingAvailable, and transcribed to the spoken words.
And a call whose second party's SBC suppresses silence (tests/sipp/siprec_call.xml): the recording
is exactly as long as the call, that party's audio where it was said."""

from __future__ import annotations

import io
import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from callvault.media.audio import mulaw_decode, mulaw_encode
from support.needs import unavailable
from support.ports import free_port
from support.receiver import WebhookReceiver
from support.rtp_pcap import FRAME, leg_packets, write_pcap
from support.server import LiveServer, ServerFactory
from support.siprec import SIPP_SCENARIO, prompt, run_cli, why_no_sipp
from support.wer import normalise_words, word_error_rate


@pytest.fixture(autouse=True)
def sipp_installed() -> None:
    """SIPp (Debian sip-tester) or a skip with the reason (a failure in CI)."""
    why = why_no_sipp()
    if why is not None:
        unavailable(why)


GAP = 0.8  # seconds without RTP around each re-INVITE, so SIP timing cannot move a cut
CALLER, CALLEE = "+15551230001", "+15551230002"


def frames(*parts: np.ndarray) -> np.ndarray:
    """Speech padded with silence to whole 20 ms packets, as G.711 carries it (mu-law round trip)."""
    audio = np.concatenate(parts)
    audio = np.concatenate([audio, np.zeros(-len(audio) % FRAME, dtype=np.int16)])
    return np.asarray(mulaw_decode(mulaw_encode(audio)))


def pad_to(audio: np.ndarray, length: int) -> np.ndarray:
    return np.concatenate([audio, np.zeros(length - len(audio), dtype=np.int16)])


class Conversation:
    """Caller and callee speech before the pause, during it (must not be recorded), after it."""

    def __init__(self) -> None:
        (caller1, self.caller1_text), (callee1, self.callee1_text) = (
            prompt("privacy-unident"),
            prompt("vm-nobodyavail"),
        )
        (held, self.held_text) = prompt("tt-weasels")
        (caller3, self.caller3_text), (callee3, self.callee3_text) = (
            prompt("pbx-invalidpark"),
            prompt("conf-getpin"),
        )
        first = max(len(frames(caller1)), len(frames(callee1)))
        third = max(len(frames(caller3)), len(frames(callee3)))
        self.caller = [pad_to(frames(caller1), first), frames(held), pad_to(frames(caller3), third)]
        self.callee = [pad_to(frames(callee1), first), frames(held), pad_to(frames(callee3), third)]
        self.starts = [0.0, first / 8000 + GAP, (first + len(frames(held))) / 8000 + 2 * GAP]

    @property
    def expected_inbound(self) -> np.ndarray:
        return np.concatenate([self.caller[0], self.caller[2]])

    @property
    def expected_outbound(self) -> np.ndarray:
        return np.concatenate([self.callee[0], self.callee[2]])

    def write_pcap(self, path: Path) -> None:
        caller = leg_packets(list(zip(self.starts, self.caller, strict=True)), port_offset=0, ssrc=0x11111111)
        callee = leg_packets(
            list(zip(self.starts, self.callee, strict=True)),
            port_offset=2,
            ssrc=0x22222222,
            seq0=7000,
            ts0=900,
        )
        write_pcap(path, caller + callee)

    def sipp_timing(self) -> dict[str, int]:
        hold_at = self.starts[1] - GAP / 2
        resume_at = self.starts[2] - GAP / 2
        end = self.starts[2] + len(self.caller[2]) / 8000
        return {
            "hold_ms": round(hold_at * 1000),
            "resume_ms": round((resume_at - hold_at) * 1000),
            "bye_ms": round((end - resume_at) * 1000) + 500,
        }


def run_sipp(tmp_path: Path, sip_port: int, transport: str, conversation: Conversation) -> None:
    pcap = tmp_path / "legs.pcap"
    conversation.write_pcap(pcap)
    run_scenario(tmp_path, sip_port, transport, SIPP_SCENARIO, pcap, conversation.sipp_timing())


def run_scenario(
    tmp_path: Path, sip_port: int, transport: str, scenario: Path, pcap: Path, timing: dict[str, int]
) -> None:
    command = [
        "sipp", f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-m", "1", "-t", transport,
        "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port() & ~1),
        "-key", "pcap", str(pcap), "-key", "caller", CALLER, "-key", "callee", CALLEE,
        "-timeout", "90s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
    ]  # fmt: skip
    for name, value in timing.items():
        command += ["-set", name, str(value)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    traces = "".join(p.read_text(errors="replace")[-4000:] for p in tmp_path.glob("*_messages.log"))
    assert result.returncode == 0, (
        f"sipp failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}\n{traces}"
    )


def start_recording_server(
    server_factory: ServerFactory, tmp_path: Path, receiver: WebhookReceiver, *, transcribe: bool
) -> tuple[LiveServer, int]:
    rtp_low = 21000 + (os.getpid() % 400) * 20
    server = server_factory(
        tmp_path / "data", sip=True, env_overrides={"CALLVAULT_SIP_RTP_PORTS": f"{rtp_low}-{rtp_low + 19}"}
    )
    run_cli(
        server.env,
        server.data_dir,
        "sip-sources",
        "add",
        "sipp",
        "--account",
        server.account_id,
        "--network",
        "127.0.0.1",
    )
    settings = [
        "accounts",
        "recording",
        server.account_id,
        "--recording-available-url",
        receiver.url("/available"),
    ]
    if transcribe:
        settings += ["--transcribe", "--transcription-available-url", receiver.url("/transcribed")]
    run_cli(server.env, server.data_dir, *settings)
    assert server.sip_port is not None
    return server, server.sip_port


def recording_channels(server: LiveServer, media_url: str) -> np.ndarray:
    with server.client() as client:
        response = client.get(media_url)
    assert response.status_code == 200
    with wave.open(io.BytesIO(response.content)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_sipp_siprec_session_is_recorded_exactly_without_the_paused_speech(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver, transport: str
) -> None:
    conversation = Conversation()
    server, sip_port = start_recording_server(server_factory, tmp_path, webhook_receiver, transcribe=False)
    run_sipp(tmp_path, sip_port, transport, conversation)

    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    body = hook.json
    assert body["eventType"] == "recordingAvailable" and body["status"] == "complete"
    assert (body["from"], body["to"], body["channels"]) == (CALLER, CALLEE, 2)
    samples = len(conversation.expected_inbound)
    with server.client() as client:
        metadata = client.get(
            f"/api/v2/accounts/{server.account_id}/calls/{body['callId']}/recordings/{body['recordingId']}"
        ).json()
    assert metadata["duration"] == body["duration"]
    assert metadata["source"]["type"] == "siprec"
    assert metadata["source"]["sessionId"].startswith("sipp-")
    assert metadata["source"]["callId"].startswith("orig-") and metadata["source"]["callId"].endswith(
        "@pbx.example.com"
    )
    channels = recording_channels(server, body["mediaUrl"])
    assert len(channels) == samples, f"recorded {len(channels)} samples, the unpaused speech is {samples}"
    assert np.array_equal(channels[:, 0], conversation.expected_inbound)
    assert np.array_equal(channels[:, 1], conversation.expected_outbound)


@pytest.mark.slow
def test_sipp_siprec_transcript_has_each_party_on_its_channel_and_not_the_paused_words(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    conversation = Conversation()
    server, sip_port = start_recording_server(server_factory, tmp_path, webhook_receiver, transcribe=True)
    run_sipp(tmp_path, sip_port, "u1", conversation)

    available = webhook_receiver.wait_for(1, timeout=30)[0].json
    webhook_receiver.wait_for(2, timeout=300)
    call_id, recording_id = available["callId"], available["recordingId"]
    path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{recording_id}"
    with server.client() as client:
        transcripts = client.get(f"{path}/transcription").json()["transcripts"]
    assert len(transcripts) == 2
    inbound, outbound = (t["text"] for t in transcripts)
    assert word_error_rate(f"{conversation.caller1_text} {conversation.caller3_text}", inbound) <= 0.3, (
        inbound
    )
    assert word_error_rate(f"{conversation.callee1_text} {conversation.callee3_text}", outbound) <= 0.3, (
        outbound
    )
    for word in ("weasels", "eaten"):
        assert word not in normalise_words(inbound + " " + outbound)


SILENCE_SCENARIO = SIPP_SCENARIO.with_name("siprec_call.xml")


def noise(seconds: int, seed: int) -> np.ndarray:
    """Audio that G.711 carries exactly and that is never silent, so a gap can only be silence."""
    samples = np.random.default_rng(seed).integers(500, 9000, seconds * 8000).astype(np.int16)
    samples *= np.random.default_rng(seed + 1).choice(np.array([-1, 1], dtype=np.int16), len(samples))
    return frames(samples)


def test_sipp_silence_suppressed_on_one_leg_is_recorded_at_its_time(
    server_factory: ServerFactory, tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    """A 30 s call whose second party's SBC sends nothing from 10 to 20 s (silence suppression: the
    sequence numbers run on, the RTP timestamp jumps 10 s). It came out 40.02 s long, the second
    party's last words at 30-40 s; it must be 30 s exactly, those words at 20-30 s."""
    caller, callee = noise(30, 1), noise(30, 2)
    server, sip_port = start_recording_server(server_factory, tmp_path, webhook_receiver, transcribe=False)
    pcap = tmp_path / "legs.pcap"
    write_pcap(
        pcap,
        leg_packets([(0.0, caller)], port_offset=0, ssrc=0x11111111)
        + leg_packets(
            [(0.0, callee[: 10 * 8000]), (20.0, callee[20 * 8000 :])], port_offset=2, ssrc=0x2222, seq0=65000
        ),
    )
    run_scenario(tmp_path, sip_port, "u1", SILENCE_SCENARIO, pcap, {"bye_ms": 32_000})

    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    body = hook.json
    assert body["status"] == "complete" and body["duration"] == "PT30S"
    channels = recording_channels(server, body["mediaUrl"])
    assert len(channels) == 30 * 8000
    assert np.array_equal(channels[:, 0], caller)
    assert not channels[10 * 8000 : 20 * 8000, 1].any()
    quiet = np.zeros(10 * 8000, dtype=np.int16)
    assert np.array_equal(channels[:, 1], np.concatenate([callee[: 10 * 8000], quiet, callee[20 * 8000 :]]))
