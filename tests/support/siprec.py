"""SIPREC for tests: rs-metadata (RFC 7865), multipart INVITE bodies, real speech prompts, SIPp."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

BOUNDARY = "callvault-test-boundary"


def metadata_xml(
    *,
    caller: str = "sip:+15551230001@pbx.example.com",
    callee: str = "sip:+15551230002@pbx.example.com",
    labels: tuple[str, str] = ("1", "2"),
    call_id: str = "orig-call-1@pbx.example.com",
    start: str = "2026-11-30T10:00:00Z",
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <start-time>{start}</start-time>
    <extensiondata xmlns:fs="http://freeswitch.org/siprec"><fs:callId>{call_id}</fs:callId></extensiondata>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="{caller}"><name xml:lang="en">Caller</name></nameID>
  </participant>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="{callee}"/>
  </participant>
  <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>{labels[0]}</label>
  </stream>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>{labels[1]}</label>
  </stream>
  <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <send>UAAMm5GRQKSCMVvLyl4rFw==</send><recv>i1Pz3to5hGk8fuXl+PbwCw==</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>i1Pz3to5hGk8fuXl+PbwCw==</send><recv>UAAMm5GRQKSCMVvLyl4rFw==</recv>
  </participantstreamassoc>
</recording>
"""


def offer_sdp(address: str, ports: tuple[int, int], *, codec: int = 0, direction: str = "sendonly") -> str:
    name = {0: "PCMU", 8: "PCMA"}[codec]
    lines = ["v=0", f"o=SRC 100 1 IN IP4 {address}", "s=SIPREC", f"c=IN IP4 {address}", "t=0 0"]
    for label, port in zip(("1", "2"), ports, strict=True):
        lines += [
            f"m=audio {port} RTP/AVP {codec} 101",
            f"a=rtpmap:{codec} {name}/8000",
            "a=rtpmap:101 telephone-event/8000",
            f"a=label:{label}",
            f"a={direction}",
        ]
    return "\r\n".join(lines) + "\r\n"


def multipart(sdp: str, metadata: str) -> tuple[str, bytes]:
    """The Content-Type and body of an initial SIPREC INVITE."""
    body = (
        f"--{BOUNDARY}\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n"
        f"--{BOUNDARY}\r\nContent-Type: application/rs-metadata+xml\r\n"
        f"Content-Disposition: recording-session\r\n\r\n{metadata}\r\n"
        f"--{BOUNDARY}--\r\n"
    )
    return f'multipart/mixed;boundary="{BOUNDARY}"', body.encode()


SOUNDS = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
SIPP_SCENARIO = Path(__file__).resolve().parents[1] / "sipp" / "siprec_src.xml"


def why_no_sipp() -> str | None:
    """Why the SIPp tests cannot run here (None: they can)."""
    if shutil.which("sipp") is None:
        return "SIPp is not installed (Debian sip-tester; `make test` installs it when run as root)"
    if not SOUNDS.is_dir() or not TRANSCRIPTS.exists():
        return "Debian asterisk-core-sounds-en(-wav) is not installed (`make test` installs it as root)"
    if os.geteuid() != 0:
        return "SIPp replays RTP from a pcap through a raw socket, which needs root"
    return None


def prompt(name: str) -> tuple[np.ndarray, str]:
    """An Asterisk prompt (8 kHz mono speech) as int16 samples, and the words it says."""
    with wave.open(str(SOUNDS / f"{name}.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
    with gzip.open(TRANSCRIPTS, "rt") as f:
        for line in f:
            key, _, text = line.partition(":")
            if key.strip() == name:
                return samples, text.strip()
    raise KeyError(name)


def run_cli(env: dict[str, str], data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "callvault", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
