"""API benchmark: GET-metadata throughput, filtered 1000-row list latency, memory while streaming a big file.

Generates a data set (N recordings of one account, spread over many numbers and times) straight into a
fresh SQLite database, starts a real `callvault serve` on 127.0.0.1, and drives it over HTTP with
client threads. Writes benchmarks/results/api.json with the command that made it.

    .venv/bin/python benchmarks/bench_api.py [--rows 200000] [--seconds 10] [--big-mb 500]
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from callvault.media.audio import WavWriter
from callvault.store.database import MetadataStore
from callvault.store.tables import recordings
from support import postgres
from support.server import ACCOUNT, LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"


def generate_rows(database_url: str, rows: int) -> list[tuple[str, str]]:
    """Insert `rows` recordings (sharing one tiny blob) in batches; returns some (callId, recordingId)."""
    store = MetadataStore(database_url)
    store.upgrade_schema()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    sample: list[tuple[str, str]] = []
    batch = []
    for i in range(rows):
        call_id, recording_id = f"c-bench-{i // 2}", f"r-bench-{i}"
        batch.append(
            {
                "recording_id": recording_id,
                "account_id": ACCOUNT,
                "call_id": call_id,
                "from_number": f"+1555000{i % 500:04d}",
                "to_number": f"+1919000{i % 97:04d}",
                "direction": "inbound",
                "channels": 1,
                "sample_rate": 8000,
                "start_time": start + timedelta(seconds=i * 7),
                "end_time": start + timedelta(seconds=i * 7 + 30),
                "duration_seconds": 30.0,
                "file_format": "wav",
                "status": "complete",
                "media_key": "bench/shared.wav",
                "media_size": 44,
                "created_at": start,
            }
        )
        if i % 997 == 0:
            sample.append((call_id, recording_id))
        if len(batch) == 5000:
            with store.write() as conn:
                conn.execute(recordings.insert(), batch)
            batch = []
    if batch:
        with store.write() as conn:
            conn.execute(recordings.insert(), batch)
    store.dispose()
    return sample


def measure_get_metadata(
    server: LiveServer, sample: list[tuple[str, str]], seconds: float, threads: int
) -> dict[str, float]:
    counts = [0] * threads
    errors = [0] * threads
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        with httpx.Client(base_url=server.url, auth=server.auth, timeout=30) as client:
            i = index
            while time.monotonic() < stop_at:
                call_id, recording_id = sample[i % len(sample)]
                response = client.get(f"/api/v2/accounts/{ACCOUNT}/calls/{call_id}/recordings/{recording_id}")
                if response.status_code == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
                i += threads

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    return {
        "requests_per_second": round(sum(counts) / elapsed, 1),
        "errors": sum(errors),
        "client_threads": threads,
    }


def measure_get_metadata_wrk(
    server: LiveServer, sample: list[tuple[str, str]], seconds: float
) -> dict[str, object]:
    """The same GET through wrk (C, 2 threads, 16 connections), when Debian's wrk is installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    call_id, recording_id = sample[len(sample) // 2]
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    url = f"{server.url}/api/v2/accounts/{ACCOUNT}/calls/{call_id}/recordings/{recording_id}"
    command = [
        wrk,
        "-t2",
        "-c16",
        f"-d{int(seconds)}s",
        "--latency",
        "-H",
        f"Authorization: Basic {token}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(rate.group(1)) if rate else None,
        "p50_latency": f"{p50.group(1)}{p50.group(2)}" if p50 else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "wrk": "-t2 -c16",
    }


def measure_filtered_list(server: LiveServer, repeats: int = 30) -> dict[str, float]:
    latencies = []
    sizes = set()
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=60) as client:
        for i in range(repeats):
            params = {"to": f"+1919000{i % 97:04d}", "minStartTime": "2030-01-01T00:00:00Z"}
            started = time.perf_counter()
            response = client.get(f"/api/v2/accounts/{ACCOUNT}/recordings", params=params)
            latencies.append(time.perf_counter() - started)
            sizes.add(len(response.json()))
        started = time.perf_counter()
        unfiltered = client.get(f"/api/v2/accounts/{ACCOUNT}/recordings")
        unfiltered_latency = time.perf_counter() - started
    latencies.sort()
    return {
        "rows_per_response": sorted(sizes),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "unfiltered_1000_rows_ms": round(unfiltered_latency * 1000, 1),
        "unfiltered_rows": len(unfiltered.json()),
    }


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def write_big_wav(path: Path, megabytes: int) -> None:
    frames = np.zeros((8000 * 60, 1), dtype=np.int16)
    with path.open("wb") as f:
        writer = WavWriter(f, 8000, 1)
        while f.tell() < megabytes * 1024 * 1024:
            writer.write(frames)
        writer.close()


def measure_big_download(server: LiveServer, work: Path, megabytes: int) -> dict[str, float]:
    big = work / "big.wav"
    write_big_wav(big, megabytes)
    rss_before = _rss_kib(server.process.pid)
    peak = [rss_before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _rss_kib(server.process.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    created = server.ingest("c-big", big, {})
    ingest_seconds = time.perf_counter() - started
    path = f"/api/v2/accounts/{ACCOUNT}/calls/c-big/recordings/{created['recordingId']}/media"
    received = 0
    started = time.perf_counter()
    with server.client() as client, client.stream("GET", path) as response:
        for chunk in response.iter_bytes(1 << 20):
            received += len(chunk)
    download_seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "file_mb": round(big.stat().st_size / 2**20, 1),
        "bytes_received_ok": received == big.stat().st_size,
        "ingest_seconds": round(ingest_seconds, 2),
        "download_seconds": round(download_seconds, 2),
        "download_mb_per_second": round(received / 2**20 / download_seconds, 1),
        "server_rss_before_mib": round(rss_before / 1024, 1),
        "server_rss_peak_mib": round(peak[0] / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL (a fresh database) instead of SQLite"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers N)")
    parser.add_argument("--output", default="api.json", help="file name under benchmarks/results/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callvault-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        data_dir = work / "data"
        data_dir.mkdir()
        database_url = (
            stack.enter_context(postgres.fresh_database())
            if args.postgres
            else f"sqlite:///{data_dir / 'callvault.sqlite3'}"
        )
        started = time.perf_counter()
        sample = generate_rows(database_url, args.rows)
        generate_seconds = time.perf_counter() - started
        env = {
            "CALLVAULT_LOG_LEVEL": "warning",
            "CALLVAULT_DATABASE_URL": database_url,
            "CALLVAULT_JOB_POLL_SECONDS": "0.2",
        }
        server = start_server(data_dir, env_overrides=env, args=["--workers", str(args.workers)])
        try:
            results = {
                "command": " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()} python {platform.python_version()}",
                "rows": args.rows,
                "database": "postgresql" if args.postgres else "sqlite",
                "server_processes": args.workers,
                "generate_seconds": round(generate_seconds, 1),
                "get_metadata": measure_get_metadata(server, sample, args.seconds, args.threads),
                "get_metadata_wrk": measure_get_metadata_wrk(server, sample, args.seconds),
                "filtered_list": measure_filtered_list(server),
                "big_download": measure_big_download(server, work, args.big_mb) if args.big_mb else None,
            }
        finally:
            server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
