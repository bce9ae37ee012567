"""What the access log costs on the GET hot path: GET one recording with and without it, side by side.

Two `callvault serve` processes on one machine, each with its own SQLite database of --rows recordings:
one with the access log (the default), one with CALLVAULT_AUDIT_LOG=false. The same GET of one
recording is driven at each in turns (A B A B ...), so drift on a shared machine hits both alike.
Figures per server: requests/s, latency percentiles, and the server's CPU time per request (its writer
thread included), which other work on the machine disturbs far less than requests per second. After
the run the audited server is stopped and its access log counted and verified: every request must be
there. Writes benchmarks/results/access_log.json.

    .venv/bin/python benchmarks/bench_access_log.py [--rows 100000] [--seconds 10] [--rounds 3]

The load generator is wrk when installed (Debian `wrk`), else a Python client (threads with keep-alive
connections: it saturates sooner, so the CPU-per-request figure is the one to compare then).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dataset
import httpx
from loadgen import wrk, wrk_available
from quiet import Sections, cpu_seconds, median, ratio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from callvault.store.database import MetadataStore
from support.server import ACCOUNT, LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"


def _python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    """GET `url` over `connections` keep-alive connections for `seconds`; wrk's figures, roughly."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(headers=headers, timeout=10) as http:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                if http.get(url).status_code != 200:
                    failures[0] += 1
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "command": f"python keep-alive client: {connections} connections, {seconds} s",
        "requests": len(ordered),
        "requests_per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": percentile(0.5),
        "p90_ms": percentile(0.9),
        "p99_ms": percentile(0.99),
        "non_2xx": failures[0],
    }


def _drive(server: LiveServer, path: str, seconds: int, connections: int) -> dict[str, Any]:
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    httpx.get(server.url + path, headers=headers, timeout=30).raise_for_status()  # credential cached
    cpu_before = cpu_seconds(server.process.pid)
    if wrk_available():
        measured = wrk(server.url + path, headers=headers, seconds=seconds, connections=connections)
    else:
        measured = _python_load(server.url + path, headers, seconds, min(connections, 8))
    cpu = cpu_seconds(server.process.pid) - cpu_before
    if measured.get("requests"):
        measured["server_cpu_ms_per_request"] = round(cpu * 1000 / measured["requests"], 4)
    return measured


def _start(work: Path, name: str, rows: int, audit: bool) -> LiveServer:
    data_dir = work / name
    database_url = f"sqlite:///{data_dir / 'callvault.sqlite3'}"
    env = {
        **os.environ,
        "CALLVAULT_DATABASE_URL": database_url,
        "CALLVAULT_LOG_LEVEL": "warning",
        "CALLVAULT_AUDIT_LOG": "true" if audit else "false",
        "CALLVAULT_JOB_POLL_SECONDS": "0.2",
    }
    data_dir.mkdir(parents=True)
    upgrade = [sys.executable, "-m", "callvault", "db", "upgrade", "--data-dir", str(data_dir)]
    subprocess.run(upgrade, env=env, check=True, capture_output=True)
    store = MetadataStore(database_url)
    dataset.generate_rows(store, ACCOUNT, rows)
    store.dispose()
    return start_server(data_dir, env_overrides=env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per server, taken in turns")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", default="access_log.json", help="file name under benchmarks/results/")
    args = parser.parse_args()
    call_id, recording_id = dataset.row_ids(args.rows // 2 + 7)
    path = f"/api/v2/accounts/{ACCOUNT}/calls/{call_id}/recordings/{recording_id}"
    sections = Sections()
    with tempfile.TemporaryDirectory(prefix="callvault-bench-audit-") as tmp:
        work = Path(tmp)
        servers = {"with_access_log": _start(work, "audited", args.rows, True)}
        servers["without_access_log"] = _start(work, "plain", args.rows, False)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        sections.start("get_one_recording")
        try:
            for _ in range(args.rounds):
                for name, server in servers.items():
                    runs[name].append(_drive(server, path, args.seconds, args.connections))
        finally:
            for server in servers.values():
                server.stop()
        audited = servers["with_access_log"]
        written = audited.db_rows("SELECT count(*) FROM access_log WHERE recording_id = :r", r=recording_id)[
            0
        ][0]
        verify = subprocess.run(
            [sys.executable, "-m", "callvault", "audit", "verify", "--data-dir", str(audited.data_dir)],
            env=audited.env,
            capture_output=True,
            text=True,
        )
    summary = {
        name: {
            key: median(run.get(key) for run in measured)
            for key in ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
        }
        for name, measured in runs.items()
    }
    with_log, without = summary["with_access_log"], summary["without_access_log"]
    with_cpu, without_cpu = with_log["server_cpu_ms_per_request"], without["server_cpu_ms_per_request"]
    expected = (
        sum(run["requests"] or 0 for run in runs["with_access_log"]) + args.rounds
    )  # + each warm-up GET
    results = {
        "command": " ".join([".venv/bin/python", "benchmarks/bench_access_log.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_generator": "wrk" if wrk_available() else "python",
        "rows": args.rows,
        "path": path,
        "summary": summary,
        "machine_state": sections.report(),
        "throughput_ratio_with_to_without": ratio(
            with_log["requests_per_second"], without["requests_per_second"], valid=sections.valid
        ),
        "extra_cpu_ms_per_request": (
            round(with_cpu - without_cpu, 4) if sections.valid and with_cpu and without_cpu else None
        ),
        "access_log": {
            "entries_for_the_recording": written,
            "requests_made": expected,
            "none_lost": written == expected,
            "verify": (verify.stdout + verify.stderr).strip(),
        },
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: results[k]
                for k in (
                    "summary",
                    "machine_state",
                    "throughput_ratio_with_to_without",
                    "extra_cpu_ms_per_request",
                    "access_log",
                )
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
