"""SIP connection soak: hold many idle and partial SIP TCP connections against one
`callvault serve --sip` while measuring `/healthz` latency and the server's memory.

Half the connections send the start of a request and stop (`OPTIONS sip:x SIP/2.0\\r\\nVia: `), the
rest send nothing. They come from `--addresses` loopback addresses. The server's caps and timeouts
are set so that every one is held (`--connections` within `CALLVAULT_SIP_MAX_CONNECTIONS`, a
message/idle timeout longer than the run): the worst case the limits allow. With `--defaults` the
server runs with its default settings instead, and the run reports how many it refused or closed.
While they are held, `--bombs` Twilio media streams each send a timestamp bomb (audio at 0 ms, then
at 36,000,000 ms: ten hours later) and stop, and `/healthz` is asked `--probes` times; then a SIPREC
INVITE over UDP must still get its 200, and each bombed stream's recording must be bounded (seconds,
not hours). Writes benchmarks/results/sip_soak.json with the command that made it.

    .venv/bin/python benchmarks/bench_sip_soak.py [--connections 2000] [--addresses 20] [--seconds 30]
        [--bombs 5]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import platform
import shlex
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from callvault.media.audio import mulaw_encode
from support.server import LiveServer, start_server
from support.sip_client import Client
from support.siprec import run_cli

RESULTS = Path(__file__).resolve().parent / "results"
PARTIAL = b"OPTIONS sip:x SIP/2.0\r\nVia: "


def memory_mib(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def open_connections(port: int, count: int, addresses: int) -> list[socket.socket]:
    sockets = []
    for index in range(count):
        sock = socket.socket()
        sock.bind((f"127.0.0.{1 + index % addresses}", 0))
        sock.settimeout(10)
        try:
            sock.connect(("127.0.0.1", port))
            if index % 2:
                sock.sendall(PARTIAL)
        except OSError:
            sock.close()
            continue
        sockets.append(sock)
    return sockets


def still_open(sockets: list[socket.socket]) -> int:
    """How many of `sockets` the server has not closed."""
    open_count = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            open_count += sock.recv(1) != b""
        except BlockingIOError:
            open_count += 1
        except OSError:
            pass
    return open_count


def healthz_latencies(url: str, probes: int, seconds: float) -> list[float]:
    latencies = []
    spacing = seconds / probes
    with httpx.Client(timeout=30) as client:
        for _ in range(probes):
            started = time.perf_counter()
            response = client.get(f"{url}/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            time.sleep(spacing)
    return latencies


def timestamp_bombs(server: LiveServer, count: int) -> list[str]:
    """`count` Twilio streams, each: start, 20 ms of audio at 0 ms, 20 ms at 36,000,000 ms, stop.
    Returns their call ids."""
    token = run_cli(
        server.env, server.data_dir, "stream-tokens", "create", "bomb", "--account", server.account_id
    )
    url = server.url.replace("http", "ws", 1) + f"/ingest/streams/twilio/{token.strip()}"
    frame = base64.b64encode(mulaw_encode(np.full(160, 500, np.int16))).decode()
    calls = []
    for _ in range(count):
        call_id = f"CA{uuid.uuid4().hex}"
        start = {"callSid": call_id, "streamSid": "MZ1", "tracks": ["inbound"]}
        with connect(url, close_timeout=60) as ws:
            ws.send(json.dumps({"event": "start", "start": start}))
            for timestamp in ("0", "36000000"):
                media = {"track": "inbound", "timestamp": timestamp, "payload": frame}
                ws.send(json.dumps({"event": "media", "media": media}))
            ws.send(json.dumps({"event": "stop"}))
            with contextlib.suppress(Exception):  # the server closes the stream after its stop
                ws.recv(timeout=60)
        calls.append(call_id)
    return calls


def bombed_durations(server: LiveServer, calls: list[str]) -> list[float]:
    deadline = time.monotonic() + 120
    durations: list[float] = []
    while time.monotonic() < deadline:
        durations = [
            float(row[0])
            for call_id in calls
            for row in server.db_rows("SELECT duration_seconds FROM recordings WHERE call_id = :c", c=call_id)
        ]
        if len(durations) == len(calls):
            break
        time.sleep(0.5)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--addresses", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the connections are held")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--defaults", action="store_true", help="the server's default caps and timeouts")
    parser.add_argument("--bombs", type=int, default=5, help="Twilio timestamp bombs sent during the soak")
    args = parser.parse_args()

    held = f"{args.seconds * 4 + 60:.0f}s"
    env = {"CALLVAULT_SIP_RTP_PORTS": "26000-26019"}
    if not args.defaults:
        env |= {
            "CALLVAULT_SIP_MAX_CONNECTIONS": str(args.connections + 10),
            "CALLVAULT_SIP_MAX_CONNECTIONS_PER_ADDRESS": str(args.connections),
            "CALLVAULT_SIP_MESSAGE_TIMEOUT": held,
            "CALLVAULT_SIP_IDLE_TIMEOUT": held,
        }
    with tempfile.TemporaryDirectory() as scratch:
        server = start_server(Path(scratch) / "data", env_overrides=env, sip=True)
        assert server.sip_port is not None
        sip_port = server.sip_port
        try:
            run_cli(server.env, server.data_dir, "sip-sources", "add", "soak", "--account", server.account_id,
                    "--network", "127.0.0.0/24")  # fmt: skip
            pid = server.process.pid
            idle = memory_mib(pid)
            before = healthz_latencies(server.url, min(args.probes, 50), 2.0)
            sockets = open_connections(sip_port, args.connections, args.addresses)
            opened = memory_mib(pid)
            bombs: list[str] = []
            bomber = threading.Thread(target=lambda: bombs.extend(timestamp_bombs(server, args.bombs)))
            bomber.start()
            during = healthz_latencies(server.url, args.probes, args.seconds)
            bomber.join()
            durations = bombed_durations(server, bombs)
            kept = still_open(sockets)
            client = Client(sip_port)
            invite = client.invite()
            if invite.status == 200:
                client.request("BYE")
                client.final()
            after = memory_mib(pid)
            for sock in sockets:
                sock.close()
        finally:
            server.stop()

    def summary(latencies: list[float]) -> dict[str, float]:
        ordered = sorted(latencies)
        return {
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
        }

    result = {
        "command": shlex.join([".venv/bin/python", "benchmarks/bench_sip_soak.py", *sys.argv[1:]]),
        "machine": platform.platform(),
        "connections_asked": args.connections,
        "connections_opened": len(sockets),
        "connections_held_at_end": kept,
        "addresses": args.addresses,
        "seconds": args.seconds,
        "default_limits": args.defaults,
        "healthz_before": summary(before),
        "healthz_during": summary(during),
        "rss_mib": {
            "idle": idle.get("VmRSS"),
            "with_connections": opened.get("VmRSS"),
            "after": after.get("VmRSS"),
            "peak": after.get("VmHWM"),
        },
        "invite_during_soak": invite.status,
        "timestamp_bombs": {"sent": len(bombs), "recording_seconds": durations},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sip_soak.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
