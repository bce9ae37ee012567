"""wrk (Debian `wrk`) as the benchmarks' load generator: one run, its figures parsed into a dict."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _millis(value: str, unit: str) -> float:
    return round(float(value) * _UNITS[unit], 2)


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms), socket errors and non-2xx answers of `wrk --latency`."""
    result: dict[str, Any] = {}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["requests_per_second"] = float(rate.group(1)) if rate else None
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    result["requests"] = int(total.group(1)) if total else None
    for percent in ("50", "90", "99"):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        result[f"p{percent}_ms"] = _millis(found.group(1), found.group(2)) if found else None
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    names = ("connect", "read", "write", "timeout")
    result["socket_errors"] = dict(zip(names, map(int, errors.groups()), strict=True)) if errors else {}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def wrk(
    url: str,
    *,
    threads: int = 2,
    connections: int = 32,
    seconds: int = 10,
    headers: dict[str, str] | None = None,
    timeout_seconds: int = 2,
) -> dict[str, Any]:
    """Run wrk against `url`; the dict has the parsed figures and the command (credentials masked)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_seconds}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    shown = ["Authorization: Basic ***" if part.startswith("Authorization:") else part for part in command]
    return {"command": " ".join(shown), **parse_wrk(completed.stdout + completed.stderr)}
