"""The benchmark's anchors: nginx, the Prism mock of the contract, a bare FastAPI app, each on 127.0.0.1.

Each `start_*` installs what it needs from the package registries (Debian apt where we are root, npm
into the git-ignored `benchmarks/.prism/`), starts the server and waits until it answers. It returns a
`Running` anchor, or a `NotStarted` with the reason; the benchmark records the reason and measures
callvault anyway.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from callvault.settings import Settings

BENCHMARKS = Path(__file__).resolve().parents[1]
REPO = BENCHMARKS.parent
PRISM_VERSION = "5.16.0"
PRISM_DIR = BENCHMARKS / ".prism"
CONTRACT = REPO.parent / "shared" / "reference" / "recordings-openapi.yml"


@dataclass
class Running:
    name: str
    url: str
    command: str
    process: subprocess.Popen[bytes]
    log_path: Path
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@dataclass(frozen=True)
class NotStarted:
    name: str
    reason: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_debian_packages(*packages: str) -> str | None:
    """apt-get install the packages whose programs are missing; None when done, else why not."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"not root with apt-get, cannot install {' '.join(packages)}"
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, capture_output=True, env=env, timeout=600).returncode == 0:
        return None
    subprocess.run(["apt-get", "update"], capture_output=True, env=env, timeout=600)
    failed = subprocess.run(install, capture_output=True, text=True, env=env, timeout=600)
    if failed.returncode != 0:
        return f"apt-get install {' '.join(packages)} failed: {failed.stderr.strip()[-300:]}"
    return None


def _wait_answering(running: Running, probe_path: str, timeout: float = 60.0) -> Running | NotStarted:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            log = running.log_path.read_text(errors="replace")[-500:]
            return NotStarted(running.name, f"exited with {running.process.returncode}: {log}")
        try:
            httpx.get(running.url + probe_path, timeout=2, auth=("bench", "bench"))
            return running
        except httpx.HTTPError:
            time.sleep(0.2)
    running.stop()
    return NotStarted(running.name, f"did not answer within {timeout:.0f} s")


def _start(
    name: str, command: list[str], port: int, work: Path, probe_path: str, **kwargs: object
) -> Running:
    log_path = work / f"{name}.log"
    process = subprocess.Popen(command, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
    return Running(name, f"http://127.0.0.1:{port}", " ".join(command), process, log_path)


def start_nginx(root: Path, work: Path) -> Running | NotStarted:
    """nginx (Debian nginx-light) serving the files under `root`: the two-line config plus paths."""
    if shutil.which("nginx") is None and (why := ensure_debian_packages("nginx-light")):
        return NotStarted("nginx", why)
    port = free_port()
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(
        "user root; pid nginx.pid; error_log logs/error.log; events {}\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
    )
    command = [shutil.which("nginx") or "nginx", "-p", str(prefix), "-c", str(config), "-g", "daemon off;"]
    return _wait_answering(_start("nginx", command, port, work, "/"), "/")


def _install_prism() -> Path | str:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    if shutil.which("npm") is None and (why := ensure_debian_packages("npm")):
        return why
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    installed = subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(PRISM_DIR),
            f"@stoplight/prism-cli@{PRISM_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if installed.returncode != 0 or not binary.exists():
        return f"npm install @stoplight/prism-cli@{PRISM_VERSION} failed: {installed.stderr.strip()[-300:]}"
    return binary


def start_prism(work: Path, probe_path: str) -> Running | NotStarted:
    """`prism mock` of the contract (npm @stoplight/prism-cli): stateless, stores nothing."""
    if not CONTRACT.exists():
        return NotStarted("prism", f"the contract {CONTRACT} is missing")
    binary = _install_prism()
    if isinstance(binary, str):
        return NotStarted("prism", binary)
    port = free_port()
    command = [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), str(CONTRACT)]
    return _wait_answering(_start("prism", command, port, work, probe_path), probe_path, timeout=120)


def start_bare_fastapi(body_file: Path, work: Path) -> Running | NotStarted:
    """The bare FastAPI app (anchors/bare_fastapi.py) under uvicorn, answering `body_file`'s bytes."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_fastapi:app",
        "--app-dir",
        str(Path(__file__).parent),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        Settings(sip_listen=None).resolved_event_loop,  # callvault's own, serving HTTP alone
    ]
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file)}
    return _wait_answering(_start("bare-fastapi", command, port, work, "/", env=env), "/")
