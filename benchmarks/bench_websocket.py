"""uvicorn's WebSocket implementations side by side under real-time live calls: wsproto (pure Python)
against websockets-sansio (websockets' C frame masking), each serving `--streams` live media streams
of `--seconds` at once (benchmarks/live_streams.py: 20 ms PCMU frames on the wall clock, a `mark` a
second). The two servers are taken in turns, `--rounds` each; per implementation the median mark lag
(how late the server had recorded what was sent before each mark), whether every recording is exact,
and the server's CPU per stream-second. Each round starts on a quiet machine (benchmarks/quiet.py).
Writes benchmarks/results/websocket.json.

    .venv/bin/python benchmarks/bench_websocket.py [--streams 200] [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from live_streams import run_live_streams
from quiet import Sections, cpu_seconds, in_turns, medians_of, write_results

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.server import ACCOUNT, LiveServer, start_server

IMPLEMENTATIONS = ("wsproto", "websockets-sansio")
FIGURES = ("mark_lag_p50_ms", "mark_lag_p99_ms", "mark_lag_max_ms", "server_cpu_ms_per_stream_second")


def _errors(log: str) -> list[str]:
    """The server log's error lines and tracebacks (the last 20 lines of each, at most 5 of them)."""
    found = []
    for block in log.split("Traceback (most recent call last):")[1:6]:
        found.append("Traceback (most recent call last):" + "\n".join(block.splitlines()[-20:]))
    found += [line for line in log.splitlines() if " ERROR " in line][:20]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sections = Sections()
    with tempfile.TemporaryDirectory(prefix="callvault-bench-ws-") as tmp:
        servers: dict[str, LiveServer] = {
            name: start_server(
                Path(tmp) / name,
                env_overrides={"CALLVAULT_WEBSOCKET_IMPLEMENTATION": name, "CALLVAULT_LOG_LEVEL": "warning"},
            )
            for name in IMPLEMENTATIONS
        }
        try:

            def measure(name: str) -> dict[str, Any]:
                server = servers[name]
                state = sections.start(f"{name} round {len(sections.sections) // len(IMPLEMENTATIONS) + 1}")
                before = cpu_seconds(server.process.pid)
                try:
                    figures = run_live_streams(server.url, server.auth, ACCOUNT, args.streams, args.seconds)
                except Exception as exc:  # recorded, with what the server logged, and the run goes on
                    log = server.log()
                    return {
                        "failed": repr(exc)[:500],
                        "server_log_errors": _errors(log),
                        "valid": state["valid"],
                    }
                used = cpu_seconds(server.process.pid) - before
                stream_seconds = args.streams * args.seconds
                return {
                    **figures,
                    "server_cpu_ms_per_stream_second": round(used * 1000 / stream_seconds, 2),
                    "valid": state["valid"],
                }

            runs = in_turns(IMPLEMENTATIONS, args.rounds, measure)
        finally:
            for server in servers.values():
                server.stop()
    medians = medians_of(runs, FIGURES)
    summary = {
        name: medians[name]
        | {
            "every_recording_exact": all(
                run.get("recordings_with_exact_duration") == args.streams for run in measured
            ),
            "marks_unanswered": sum(run.get("marks_unanswered", 0) for run in measured),
            "failed_runs": sum(1 for run in measured if "failed" in run),
        }
        for name, measured in runs.items()
    }
    result = write_results(
        "websocket.json",
        {
            "streams": args.streams,
            "seconds": args.seconds,
            "machine_state": sections.report(),
            "summary": summary,
            "runs": runs,
        },
    )
    print(json.dumps({k: result[k] for k in ("machine_state", "summary")}, indent=2))


if __name__ == "__main__":
    main()
