"""SIPREC load benchmark: N concurrent SIPREC sessions from SIPp against one `callvault serve --sip`.

Each session is the SIPp recording client of tests/sipp/siprec_src.xml with two RTP legs of real
speech (Asterisk prompts, PCMU, 20 ms packets) for `--seconds` seconds; the pause it makes comes
after the speech, so every recording must be exactly `--seconds` long. For each N (all sessions
started within about a second, `-r N -l N -m N`), the run counts the recordings, checks every
duration to the sample, and reads each session's RTP statistics from the server's log (packets
lost, late, duplicated). The largest N with every recording present and exact and no packet lost is
the result; each step also reports the server's CPU per session-second and the load average it started
at (benchmarks/quiet.py). Writes benchmarks/results/siprec.json with the command that made it.

    .venv/bin/python benchmarks/bench_siprec.py [--sessions 50,100,200,300,400,500] [--seconds 8]
        [--split-seconds 30] [--server-log PATH] [--warm-up 20]

First --warm-up sessions (default 20) run and are reported apart: what a server pays once, for its
first session, is no session's cost. The largest passing N is then run again with --split-seconds of
speech: from the two runs, the CPU a session's media costs per second and what its setup and teardown
(INVITE to stored recording) cost.

Needs SIPp (Debian sip-tester), the Asterisk prompts and root (SIPp replays RTP through a raw socket).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from quiet import Sections, cpu_seconds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.ports import free_port
from support.rtp_pcap import FRAME, leg_packets, write_pcap
from support.server import LiveServer, start_server
from support.siprec import SIPP_SCENARIO, prompt, run_cli, why_no_sipp

RESULTS = Path(__file__).resolve().parent / "results"
STATS = re.compile(r"SIPREC session (\S+) ended; RTP (\{.*\})")
PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback")
MAX_PROBLEMS_KEPT = 10


def conversation(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Caller and callee speech, `seconds` long each (prompts repeated), whole 20 ms packets."""
    length = round(seconds * 8000) // FRAME * FRAME
    caller = np.concatenate([prompt("privacy-unident")[0], prompt("pbx-invalidpark")[0]])
    callee = np.concatenate([prompt("vm-nobodyavail")[0], prompt("conf-getpin")[0]])
    return np.resize(caller, length), np.resize(callee, length)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_step(
    server: LiveServer, sip_port: int, sessions: int, seconds: float, work: Path
) -> dict[str, object]:
    caller, callee = conversation(seconds)
    pcap = work / "legs.pcap"
    write_pcap(
        pcap,
        leg_packets([(0.0, caller)], port_offset=0, ssrc=0x1111)
        + leg_packets([(0.0, callee)], port_offset=2, ssrc=0x2222, seq0=9000),
    )
    before = server.db_rows("SELECT COUNT(*) FROM recordings")[0][0]
    log_offset = server.log_path.stat().st_size
    cpu_before = cpu_seconds(server.process.pid)
    command = [
        "sipp", f"127.0.0.1:{sip_port}", "-sf", str(SIPP_SCENARIO), "-t", "u1",
        "-r", str(sessions), "-rp", "1000", "-l", str(sessions), "-m", str(sessions),
        "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port() & ~1),
        "-key", "pcap", str(pcap), "-key", "caller", "+15551230001", "-key", "callee", "+15551230002",
        "-set", "hold_ms", str(round(seconds * 1000) + 400),
        "-set", "resume_ms", "100", "-set", "bye_ms", "200",
        "-timeout", f"{round(seconds) + 120}s", "-nostdin", "-trace_err",
        "-buff_size", str(4 << 20),  # SIPp's own socket dropped answers at 400 sessions at its default
    ]  # fmt: skip
    started = time.monotonic()
    sipp = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=seconds + 300)

    def recorded() -> int:
        return int(server.db_rows("SELECT COUNT(*) FROM recordings")[0][0]) - before

    def step_log() -> str:
        with server.log_path.open("r", errors="replace") as log:
            log.seek(log_offset)
            return log.read()

    def session_stats() -> list[dict[str, dict[str, int]]]:
        """The RTP statistics each ended session logged (after its recording was stored)."""
        return [ast.literal_eval(match.group(2)) for match in STATS.finditer(step_log())]

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (recorded() < sessions or len(session_stats()) < sessions):
        time.sleep(0.5)
    count = recorded()
    stats = session_stats()
    rows = server.db_rows(
        "SELECT duration_seconds, status FROM recordings ORDER BY id DESC LIMIT :n", n=max(count, 0)
    )
    expected = len(caller) / 8000
    exact = sum(1 for duration, status in rows if duration == expected and status == "complete")
    inexact = sorted(
        f"{duration} s {status}" for duration, status in rows if (duration, status) != (expected, "complete")
    )
    server_cpu = cpu_seconds(server.process.pid) - cpu_before
    totals = {key: sum(track[key] for session in stats for track in session.values()) for key in (
        "received", "lost", "late", "duplicates", "unknown_payload")}  # fmt: skip
    failed_calls = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", sipp.stdout)
    problems = [line for line in step_log().splitlines() if PROBLEM.search(line)]
    return {
        "sessions": sessions,
        "sipp_exit_code": sipp.returncode,
        "sipp_failed_calls": int(failed_calls.group(1)) if failed_calls else None,
        "recordings": count,
        "exact_durations": exact,
        "not_exact": inexact,
        "expected_duration_seconds": expected,
        "packets_sent": sessions * 2 * len(caller) // FRAME,
        "rtp": totals,
        "wall_seconds": round(time.monotonic() - started, 1),
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cpu_ms_per_session_second": round(server_cpu * 1000 / (sessions * expected), 2),
        "server_log_problems": {"count": len(problems), "first": problems[:MAX_PROBLEMS_KEPT]},
        "ok": sipp.returncode == 0
        and count == sessions
        and exact == sessions
        and totals["lost"] == 0
        and totals["received"] == sessions * 2 * len(caller) // FRAME,
    }


def cost_split(shorter: dict[str, Any], longer: dict[str, Any]) -> dict[str, Any]:
    """The same N sessions at two lengths: CPU = N x (setup and teardown + media seconds x media cost),
    solved for the two costs."""
    sessions = int(shorter["sessions"])
    short_seconds, long_seconds = (float(step["expected_duration_seconds"]) for step in (shorter, longer))
    short_cpu, long_cpu = (float(step["server_cpu_seconds"]) for step in (shorter, longer))
    media = (long_cpu - short_cpu) / (sessions * (long_seconds - short_seconds))
    fixed = short_cpu / sessions - media * short_seconds
    return {
        "sessions": sessions,
        "seconds": [short_seconds, long_seconds],
        "media_cpu_ms_per_session_second": round(media * 1000, 2),
        "setup_and_teardown_cpu_ms_per_session": round(fixed * 1000, 1),
        "longer_ok": longer["ok"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", default="50,100,200,300,400,500", help="N to try, in order")
    parser.add_argument("--seconds", type=float, default=8.0, help="speech per session")
    parser.add_argument(
        "--split-seconds",
        type=float,
        default=30.0,
        help="after the steps, the largest passing N again with this much speech: the CPU a session's "
        "media costs per second and what its setup and teardown cost, apart (0: skip)",
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's log here when the run ends")
    parser.add_argument(
        "--warm-up",
        type=int,
        default=20,
        help="sessions run first and not counted: the server's one-time costs (the first session's "
        "imports, threads, caches) are no session's (0: none)",
    )
    args = parser.parse_args()
    reason = why_no_sipp()
    if reason:
        print(f"bench_siprec skipped: {reason}")
        return
    steps: list[dict[str, object]] = []
    sections = Sections()
    with tempfile.TemporaryDirectory(prefix="bench-siprec-") as tmp:
        work = Path(tmp)
        server = start_server(
            work / "data",
            sip=True,
            env_overrides={
                "CALLVAULT_LOG_LEVEL": "info",
                "CALLVAULT_SIP_RTP_PORTS": "30000-39999",
                "CALLVAULT_WORKER_THREADS": "1",
                "CALLVAULT_JOB_POLL_SECONDS": "0.2",  # the default; tests poll faster
            },
        )
        sip_port = server.sip_port
        assert sip_port is not None
        try:
            run_cli(server.env, server.data_dir, "sip-sources", "add", "sipp", "--account", server.account_id,
                    "--network", "127.0.0.1")  # fmt: skip
            warm_up: dict[str, object] | None = None
            if args.warm_up:
                warm_up = run_step(server, sip_port, args.warm_up, args.seconds, work)
                print(json.dumps({"warm_up": warm_up}))
            for sessions in (int(n) for n in args.sessions.split(",")):
                state = sections.start(f"{sessions} sessions")
                step = {**run_step(server, sip_port, sessions, args.seconds, work), "valid": state["valid"]}
                steps.append(step)
                print(json.dumps(step))
                if not step["ok"]:
                    break
            passing = [int(str(step["sessions"])) for step in steps if step["ok"]]
            split = None
            if args.split_seconds and passing:
                sessions = max(passing)
                state = sections.start(f"{sessions} sessions of {args.split_seconds} s")
                longer = run_step(server, sip_port, sessions, args.split_seconds, work)
                print(json.dumps(longer))
                shorter = next(step for step in steps if step["sessions"] == sessions)
                split = {**cost_split(shorter, longer), "valid": state["valid"], "longer_step": longer}
            peak = peak_rss_mib(server.process.pid)
        finally:
            server.stop()
            if args.server_log:
                shutil.copyfile(server.log_path, args.server_log)
    result = {
        "command": shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv]),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "setup": "one `callvault serve --sip` (SQLite, files); SIPp 3.6 on this machine; UDP; 2 PCMU legs",
        "machine_state": sections.report(),
        "warm_up": warm_up,
        "largest_sessions_without_loss_and_exact": max(passing, default=0),
        "cost_split": split,
        "server_peak_rss_mib": round(peak, 1),
        "steps": steps,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "siprec.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))


if __name__ == "__main__":
    main()
