"""Leftovers of killed processes, made by really killing one (SIGKILL), for the recovery tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

_WRITE_SPOOL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from callvault.calls.sinks import SpoolSink
    path, seconds = Path(sys.argv[1]), float(sys.argv[2])
    rate, channels, torn = (int(value) for value in sys.argv[3:6])
    sink = SpoolSink.create(path, "wav", rate, channels)
    frames = round(seconds * rate)
    tone = (3000 * np.sin(np.arange(frames) / 7)).astype(np.int16)
    for start in range(0, frames, 160):
        sink.write(np.repeat(tone[start : start + 160, None], channels, axis=1))
    if torn:
        with open(path, "ab") as f:
            f.write(b"\\x01" * torn)
    print("ready", flush=True)
    time.sleep(600)
    """
)


class SpoolWriter:
    """A process recording into a spool, until :meth:`kill` (SIGKILL: no close, no header patch)."""

    def __init__(
        self, path: Path, *, seconds: float, sample_rate: int = 8000, channels: int = 1, torn_bytes: int = 0
    ):
        self.path = path
        args = [str(path), str(seconds), str(sample_rate), str(channels), str(torn_bytes)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WRITE_SPOOL, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise RuntimeError(f"the spool writer did not start: {line!r}")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def spool_left_by_killed_process(
    path: Path, *, seconds: float, sample_rate: int = 8000, channels: int = 1, torn_bytes: int = 0
) -> Path:
    writer = SpoolWriter(
        path, seconds=seconds, sample_rate=sample_rate, channels=channels, torn_bytes=torn_bytes
    )
    writer.kill()
    return path
