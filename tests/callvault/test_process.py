"""The composition root's process-wide settings: a serving process exempts its start-up heap from the
garbage collector (in a process of its own: it would leak into the test process), and runs on the
event loop that suits what it serves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from callvault.settings import Settings

SERVING_PROCESS = """
import gc, json, sys
from pathlib import Path

from callvault.settings import Settings
from callvault.process import start_serving_chores
from callvault.services.container import build_services
from callvault.settings import Settings

services = build_services(Settings(data_dir=Path(sys.argv[1]), worker_threads=1))
before = gc.get_freeze_count()
stop = start_serving_chores(services)
frozen = gc.get_freeze_count()
garbage = []
garbage.append(garbage)  # made after start-up: still collected
del garbage
collected = gc.collect()
stop()
services.close()
print(json.dumps({"before": before, "frozen": frozen, "collected": collected}))
"""


def test_a_serving_process_freezes_its_start_up_heap_and_still_collects_what_comes_later(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVING_PROCESS, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["before"] == 0
    assert figures["frozen"] > 50_000  # the modules, the app's services and their objects
    assert figures["collected"] >= 1


def test_the_event_loop_follows_what_the_process_serves() -> None:
    assert Settings().resolved_event_loop == "asyncio"  # HTTP alone: its tail latency
    assert Settings(sip_listen="127.0.0.1:5060").resolved_event_loop == "uvloop"  # SIPREC bursts
    assert Settings(sip_listen="127.0.0.1:5060", event_loop="asyncio").resolved_event_loop == "asyncio"
    assert Settings(event_loop="uvloop").resolved_event_loop == "uvloop"
