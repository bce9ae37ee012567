"""The official bandwidth-sdk's own virtual environment, ``<repo>/.venv-sdk``: created once and reused,
because the SDK imports as ``bandwidth`` just like our client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDK_VENV = REPO / ".venv-sdk"
SDK_REQUIREMENT = "bandwidth-sdk==23.3.1"
SDK_VERSION = "23.3.1"


def isolated_env() -> dict[str, str]:
    """An environment in which `import bandwidth` can only find the venv's official SDK."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def sdk_python() -> Path:
    return SDK_VENV / "bin" / "python"


def official_sdk_location(python: Path) -> str | None:
    """Where the venv's `bandwidth` comes from, if it is the official SDK of the right version."""
    if not python.exists():
        return None
    probe = "import bandwidth; print(bandwidth.__version__); print(bandwidth.__file__)"
    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, env=isolated_env(), timeout=120
    )
    lines = result.stdout.split()
    if result.returncode != 0 or len(lines) != 2 or lines[0] != SDK_VERSION:
        return None
    return lines[1]


def install_official_sdk() -> str | None:
    """Create the venv and pip-install the SDK from the registry; the error text on failure."""
    steps = []
    if not sdk_python().exists():
        steps.append([sys.executable, "-m", "venv", str(SDK_VENV)])
    steps.append(
        [str(sdk_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q", SDK_REQUIREMENT]
    )
    for command in steps:
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=isolated_env(), timeout=900)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(command)}: {error}"
        if result.returncode != 0:
            output = (result.stderr or result.stdout)[-1500:]
            return f"{' '.join(command)} exited {result.returncode}: {output}"
    return None
