"""`callvault sip-sources`, `stream-tokens`, `accounts recording` and `callvault sip`, run as a user
runs them: one clear line for a refusal, and a separate SIP process that records into the same
database a `callvault serve` reads."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from callvault.media.audio import mulaw_encode
from support.ports import log_tail, start_on_free_ports, wait_until_serving
from support.receiver import WebhookReceiver
from support.server import LiveServer
from support.sip_client import Client, send_rtp


def cli(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "callvault", *args], capture_output=True, text=True, timeout=180, env=env
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.timeout(1200)  # 15 fresh CLI processes, each importing callvault: minutes on a loaded machine
def test_sources_tokens_and_settings_refuse_bad_input_in_one_line(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    cli("sip-sources", "add", "sbc", "--account", "9900000", "--network", "10.0.0.0/8", *data)
    refusals = [
        ("sip-sources", "add", "nothing", "--account", "9900000"),
        ("sip-sources", "add", "bad-net", "--account", "9900000", "--network", "10.0.0.300"),
        ("sip-sources", "add", "half", "--account", "9900000", "--username", "u"),
        ("sip-sources", "add", "sbc", "--account", "9900000", "--network", "10.1.0.0/16"),
        ("sip-sources", "remove", "missing"),
        ("stream-tokens", "revoke", "99"),
        ("accounts", "recording", "9900000", "--format", "ogg"),
        ("accounts", "recording", "9900000", "--recording-available-url", "ftp://x"),
    ]
    for args in refusals:
        result = cli(*args, *data, check=False)
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr and result.stderr.strip().startswith("error:"), result.stderr
    listing = cli("sip-sources", "list", *data).stdout
    assert "sbc" in listing and "10.0.0.0/8" in listing
    shown = cli("accounts", "recording", "9900000", "--callback-password", "hook-secret-1", *data).stdout
    assert "multi_channel: True" in shown and "password: ***" in shown and "hook-secret-1" not in shown


def test_sip_sources_refuse_a_shared_network_and_warn_of_overlaps(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    cli("sip-sources", "add", "wide", "--account", "9900000", "--network", "10.0.0.0/8", *data)
    shared = cli(
        "sip-sources", "add", "same", "--account", "9900001", "--network", "10.0.0.0/8", *data, check=False
    )
    assert shared.returncode == 1 and shared.stderr.strip().startswith("error:") and "'wide'" in shared.stderr
    narrow = cli("sip-sources", "add", "narrow", "--account", "9900001", "--network", "10.1.0.0/16", *data)
    assert "warning: 'narrow' overlaps 'wide'" in narrow.stderr and "more specific network" in narrow.stderr
    creds = cli(
        "sip-sources",
        "add",
        "sbc",
        "--account",
        "9900002",
        "--username",
        "sbc1",
        "--password",
        "long-secret",
        *data,
    )
    assert "with 'sbc''s credentials records into account 9900002" in creds.stderr


def test_serve_refuses_sip_with_several_workers_or_a_wildcard_media_address(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    several = cli("serve", "--sip", "127.0.0.1:5099", "--workers", "2", *data, check=False)
    assert several.returncode == 1 and "--sip runs in one process" in several.stderr
    wildcard = cli("serve", "--sip", "0.0.0.0:5099", *data, check=False)
    assert wildcard.returncode == 1 and "CALLVAULT_SIP_MEDIA_ADDRESS" in wildcard.stderr
    malformed = cli("sip", "--listen", "nowhere", *data, check=False)
    assert malformed.returncode == 1 and "HOST:PORT" in malformed.stderr


def start_sip_process(port: int, env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`callvault sip` on `port`, once it says it listens (PortInUse when another process has the port)."""
    log = data_dir / f"sip-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "callvault",
                "sip",
                "--listen",
                f"127.0.0.1:{port}",
                "--data-dir",
                str(data_dir),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(
            process,
            log,
            lambda: "recording server on" in log_tail(log),
            port=port,
            what="callvault sip",
            timeout=60,
        )
    except BaseException:
        process.kill()
        process.wait(20)
        raise
    return process, port


def test_separate_sip_process_records_into_the_servers_database(
    live_server: LiveServer, webhook_receiver: WebhookReceiver
) -> None:
    env = {**live_server.env, "CALLVAULT_SIP_RTP_PORTS": "24800-24819"}
    data = ["--data-dir", str(live_server.data_dir)]
    cli(
        "sip-sources",
        "add",
        f"proc-{os.getpid()}",
        "--account",
        "9900001",
        "--network",
        "127.0.0.1",
        *data,
        env=env,
    )
    cli(
        "accounts",
        "recording",
        "9900001",
        "--recording-available-url",
        webhook_receiver.url("/sip"),
        *data,
        env=env,
    )
    process, port = start_on_free_ports(lambda ports: start_sip_process(ports[0], env, live_server.data_dir))
    try:
        client = Client(port)
        client.request("OPTIONS")
        assert client.final().status == 200
        response = client.invite()
        assert response.status == 200
        first = int(
            next(
                line.split()[1] for line in response.body.decode().splitlines() if line.startswith("m=audio")
            )
        )
        tone = mulaw_encode(np.full(160, 4000, dtype=np.int16))
        for index in range(25):
            send_rtp(first, [(index, index * 160, tone)], ssrc=5)
            time.sleep(0.02)
        time.sleep(0.2)
        client.request("BYE")
        assert client.final().status == 200
        hook = next(h for h in webhook_receiver.wait_for(1, timeout=30) if h.path == "/sip")
        assert hook.json["status"] == "complete" and hook.json["duration"] == "PT0.5S"
        assert hook.json["accountId"] == "9900001"
    finally:
        process.terminate()
        process.wait(20)
