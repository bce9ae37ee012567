"""The composition root's process-wide settings, in a process of their own (they would leak into the
test process): a serving process exempts its start-up heap from the garbage collector."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SERVING_PROCESS = """
import gc, json, sys
from pathlib import Path
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
