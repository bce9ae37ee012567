"""The benchmarks' honesty rules (benchmarks/quiet.py): a section that starts on a busy machine gives no
ratio, contenders run in turns, and medians ignore missing figures."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import quiet


def test_a_section_on_a_busy_machine_is_invalid_and_gives_no_ratio() -> None:
    busy = quiet.Sections(quiet_load=0.0)  # any load average counts as busy
    state = busy.start("get", settle_seconds=0)
    assert not state["valid"] and "busy" in state["invalid_reason"]
    report = busy.report()
    assert not report["valid"] and report["invalid_reasons"] == [state["invalid_reason"]]
    assert quiet.ratio(2.0, 1.0, valid=busy.valid) is None


def test_a_quiet_section_is_valid_and_compares() -> None:
    calm = quiet.Sections(quiet_load=10_000.0)
    assert calm.start("get")["valid"] and calm.valid
    assert quiet.ratio(3.0, 2.0, valid=calm.valid) == 1.5
    assert quiet.ratio(3.0, None) is None


def test_each_section_records_how_fast_the_machine_ran_python_at_its_start() -> None:
    calm = quiet.Sections(quiet_load=10_000.0)
    first, second = calm.start("get"), calm.start("list")
    assert first["cpu_reference_ms"] > 0 and second["cpu_reference_ms"] > 0
    assert calm.report()["sections"]["list"]["cpu_reference_ms"] == second["cpu_reference_ms"]


def test_contenders_run_in_turns_each_round_starting_one_later() -> None:
    order: list[str] = []
    runs = quiet.in_turns(["callvault", "prism"], 3, lambda name: order.append(name) or len(order))
    assert order == ["callvault", "prism", "prism", "callvault", "callvault", "prism"]
    assert runs == {"callvault": [1, 4, 5], "prism": [2, 3, 6]}
    order.clear()
    quiet.in_turns(["a", "b", "c"], 3, lambda name: order.append(name))
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]  # each in each place once


def test_the_median_skips_missing_figures() -> None:
    assert quiet.median([3.0, None, 1.0, 2.0]) == 2.0
    assert quiet.median([None]) is None


def test_cpu_seconds_reads_this_process() -> None:
    import os

    assert quiet.cpu_seconds(os.getpid()) > 0
