"""A before/after table (Markdown) of two bench_load.py result files, e.g. main's code against a branch's.

.venv/bin/python benchmarks/compare.py benchmarks/results/load-before.json benchmarks/results/load.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROWS: list[tuple[str, tuple[str, ...]]] = [
    ("GET metadata SQLite, req/s (wrk -t2 -c32)", ("get_metadata", "callvault", "requests_per_second")),
    ("GET metadata SQLite, p99 ms", ("get_metadata", "callvault", "p99_ms")),
    (
        "GET metadata SQLite, server CPU ms/request",
        ("get_metadata", "callvault", "server_cpu_ms_per_request"),
    ),
    ("Prism (same run), req/s", ("get_metadata", "prism", "requests_per_second")),
    ("bare FastAPI (same run), req/s", ("get_metadata", "bare_fastapi", "requests_per_second")),
    ("nginx static file (same run), req/s", ("get_metadata", "nginx_static_file", "requests_per_second")),
    ("ratio to Prism (target >= 2)", ("get_metadata", "ratio_to_prism")),
    ("ratio to bare FastAPI (target >= 0.6)", ("get_metadata", "ratio_to_bare_fastapi")),
    ("GET metadata PostgreSQL, req/s", ("postgres", "get_metadata", "requests_per_second")),
    (
        "GET metadata PostgreSQL, server CPU ms/request",
        ("postgres", "get_metadata", "server_cpu_ms_per_request"),
    ),
    (
        "Prism in turns with PostgreSQL, req/s",
        ("postgres", "get_metadata", "prism_in_turns", "requests_per_second"),
    ),
    ("GET metadata PostgreSQL, ratio to Prism (target >= 1)", ("postgres", "get_metadata", "ratio_to_prism")),
    ("256 connections, requests answered in the run", ("connections_256", "requests")),
    ("256 connections, req/s", ("connections_256", "requests_per_second")),
    ("256 connections, p99 ms (target <= 250)", ("connections_256", "p99_ms")),
    ("256 connections, socket timeouts (target 0)", ("connections_256", "socket_errors", "timeout")),
    (
        "256 connections, bare FastAPI in turns: p99 ms",
        ("connections_256", "anchors_in_turns", "bare_fastapi", "p99_ms"),
    ),
    (
        "256 connections, bare FastAPI in turns: timeouts",
        ("connections_256", "anchors_in_turns", "bare_fastapi", "socket_errors", "timeout"),
    ),
    ("256 connections, nginx in turns: p99 ms", ("connections_256", "anchors_in_turns", "nginx", "p99_ms")),
    *[
        (f"list 1,000 of 1M, {name}, {label} p50 ms (target <= 25)", (*keys, name, "p50_ms"))
        for label, keys in (("SQLite", ("filtered_list",)), ("PostgreSQL", ("postgres", "filtered_list")))
        for name in (
            "from+to+minStartTime",
            "to+minStartTime+maxStartTime",
            "from",
            "minStartTime+maxStartTime",
            "none",
        )
    ],
    (
        "list 1,000 of 1M filtered, SQLite server CPU ms",
        ("filtered_list", "from+to+minStartTime", "server_cpu_ms_per_request"),
    ),
    ("download 300 MB, MB/s", ("media", "download", "callvault", "mb_per_second")),
    ("nginx, same file, MB/s", ("media", "download", "nginx", "mb_per_second")),
    ("download ratio to nginx (target >= 0.5)", ("media", "download", "ratio_to_nginx")),
    ("download RSS growth MiB", ("media", "download", "callvault", "rss_growth_mib")),
    ("ingest 300 MB, MB/s (target >= 500)", ("media", "ingest", "mb_per_second")),
    ("disk durable write (dd conv=fsync), MB/s", ("media", "ingest", "disk_durable_write", "mb_per_second")),
    (
        "ingest ratio to the durable disk write (target >= 0.8)",
        ("media", "ingest", "ratio_to_disk_durable_write"),
    ),
    ("ingest RSS growth MiB", ("media", "ingest", "rss_growth_mib")),
    ("webhook jobs drained, jobs/s", ("webhooks", "jobs_per_second")),
    ("webhook jobs lost", ("webhooks", "lost")),
    ("live streams", ("live_streams", "streams")),
    ("live: mark lag max ms (target <= 100)", ("live_streams", "mark_lag_max_ms")),
    ("live: mark lag p50 ms", ("live_streams", "mark_lag_p50_ms")),
    ("live: load generator late p99 ms", ("live_streams", "client_ticker_late_p99_ms")),
    ("live: recordings with exact duration", ("live_streams", "recordings_with_exact_duration")),
]


def dig(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def main() -> None:
    before, after = (json.loads(Path(name).read_text()) for name in sys.argv[1:3])
    print(f"before: `{before['command']}` at {before['when']}  ")
    print(f"after: `{after['command']}` at {after['when']}\n")
    print("| measure | before | after |")
    print("|---|---|---|")
    for label, keys in ROWS:
        print(f"| {label} | {dig(before, keys)} | {dig(after, keys)} |")


if __name__ == "__main__":
    main()
