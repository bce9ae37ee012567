"""Debian packages a test needs, installed on first use (we run as root in CI); else the reason why not."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

_updated = False
LOCK_WAIT_S = 600
"""How long apt-get waits for dpkg's lock: another test worker, or another run, may be installing."""


def ensure_packages(packages: list[str], needed: list[Path]) -> str | None:
    """Install `packages` unless every path in `needed` exists; None when ready, else why not."""
    global _updated
    if all(path.exists() for path in needed):
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (
            f"{', '.join(packages)} not installed, and apt-get cannot install them here (not root or no apt)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        if not _updated:
            subprocess.run(
                ["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=False
            )
            _updated = True
        result = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "-o", f"DPkg::Lock::Timeout={LOCK_WAIT_S}", *packages],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"apt-get install {' '.join(packages)} failed: {exc}"
    if result.returncode != 0 or not all(path.exists() for path in needed):
        return f"apt-get install {' '.join(packages)} failed: {result.stderr.strip()[-300:]}"
    return None
