"""What keeps a benchmark honest: it measures only on a quiet machine, takes the thing measured and its
anchor in turns, and reports medians and server CPU.

- `Sections` records the load average before each section of a benchmark, after waiting (up to
  SETTLE_SECONDS) for the load the benchmark itself made in the section before to die down; a section
  that still starts on a busy machine (1-minute load average >= QUIET_LOAD: a test run or a helper
  beside it) is kept in the results but marked invalid with the reason, and `ratio(..., valid=False)`
  refuses to compare. A ratio
  taken on a loaded machine once reported 8.3x a mock that a quiet run put at 1.0x.
- `in_turns` runs each contender once per round, in turns, each round starting one contender later
  (A, B | B, A | ...), so drift on the machine, and any favour to whichever runs first, hits all
  alike; `median` reduces the rounds.
- `cpu_seconds(pid)` is a process's user + system CPU: the figure to compare per request, which other
  work on the machine disturbs far less than requests per second.
- `cpu_reference_ms()` times a fixed piece of pure-Python work, and `Sections` records it at the start of
  each section: how fast this machine ran the interpreter just then. An absolute figure (ms of CPU per
  session-second, ms per list) from two machines, or from one machine whose speed drifts (a shared VM's
  did by 10-15% within minutes), compares only beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

QUIET_LOAD = 1.0
"""The 1-minute load average at or above which the machine is too busy to measure on."""
SETTLE_SECONDS = 150.0
"""The longest wait for the load average to fall below QUIET_LOAD before a section (a 1-minute load
average of 2 left by a section that kept both cores busy takes about 45 s to fall below 1)."""

T = TypeVar("T")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_reference_ms(repeats: int = 7) -> float:
    """The fastest of `repeats` runs of a fixed pure-Python workload (dicts, strings, JSON, a hash: what
    a request's Python does), in ms of this process's CPU."""
    _reference_work()  # the first run also pays for allocating what the others reuse
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        _reference_work()
        best = min(best, time.process_time() - started)
    return round(best * 1000, 2)


def _reference_work() -> None:
    counts: dict[str, int] = {}
    for i in range(20_000):
        key = f"key-{i % 97}"
        counts[key] = counts.get(key, 0) + i
    document = [{"id": f"r-{i}", "n": i, "tags": [str(i), "x"]} for i in range(2_000)]
    text = json.dumps({"counts": counts, "rows": document})
    hashlib.sha256(text.encode()).hexdigest()
    json.loads(text)


class Sections:
    """The load average at the start of each section; which sections started busy."""

    def __init__(self, quiet_load: float = QUIET_LOAD) -> None:
        self.quiet_load = quiet_load
        self.sections: dict[str, dict[str, Any]] = {}

    def start(self, name: str, settle_seconds: float = SETTLE_SECONDS) -> dict[str, Any]:
        waited = time.monotonic()
        while (load := load_average()) >= self.quiet_load and time.monotonic() - waited < settle_seconds:
            time.sleep(2.0)
        state: dict[str, Any] = {
            "load_average_1m": load,
            "waited_seconds": round(time.monotonic() - waited, 1),
            "valid": load < self.quiet_load,
            "cpu_reference_ms": cpu_reference_ms(),
        }
        if not state["valid"]:
            state["invalid_reason"] = (
                f"load average {load} >= {self.quiet_load} after waiting {state['waited_seconds']} s "
                "for it to fall: the machine was busy with other work"
            )
        self.sections[name] = state
        return state

    @property
    def valid(self) -> bool:
        return all(section["valid"] for section in self.sections.values())

    def report(self) -> dict[str, Any]:
        """For the results file: each section's state, and whether every comparison in it may be used."""
        reasons = [s["invalid_reason"] for s in self.sections.values() if not s["valid"]]
        return {
            "quiet_load_below": self.quiet_load,
            "valid": not reasons,
            "invalid_reasons": reasons,
            "sections": self.sections,
        }


def in_turns(contenders: Iterable[str], rounds: int, measure: Callable[[str], T]) -> dict[str, list[T]]:
    """`measure(name)` for each contender, `rounds` times, in turns, each round starting one contender
    later (A, B, C | B, C, A | C, A, B ...): on a machine whose speed drifts, or that favours the first
    run after a pause, no contender always takes the same place (A/B pairs on one machine swung 3-5%
    towards whichever ran first)."""
    names = list(contenders)
    results: dict[str, list[T]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            results[name].append(measure(name))
    return results


def median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 4) if present else None


def ratio(value: float | None, anchor: float | None, *, valid: bool = True) -> float | None:
    """value / anchor, or None when either is missing or the machine was busy (no comparison then)."""
    if not valid or not value or not anchor:
        return None
    return round(value / anchor, 3)


def medians_of(
    runs: Mapping[str, Sequence[dict[str, Any]]], figures: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Per contender of `in_turns`, the median of each figure over its runs."""
    names = tuple(figures)
    return {
        name: {key: median(run[key] for run in measured) for key in names} for name, measured in runs.items()
    }


def write_results(file_name: str, result: dict[str, Any]) -> dict[str, Any]:
    """`result` in benchmarks/results/`file_name`, after the command that made it and when; returns it so."""
    recorded = {
        "command": " ".join([".venv/bin/python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **result,
    }
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / file_name).write_text(json.dumps(recorded, indent=2) + "\n")
    return recorded
