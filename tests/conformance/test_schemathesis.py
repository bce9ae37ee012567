"""Property-based API testing with schemathesis against a real server: the official contract
(../shared/reference/recordings-openapi.yml, base /api/v2) and the server's own /openapi.json.

Every check, a fixed seed, a bounded number of examples per operation, one worker: a run is
repeatable and takes a few minutes. Zero failures; what we judge a fault of the official contract is
allowed, with the reason, in schemathesis-allow.toml.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support.needs import unavailable
from support.server import LiveServer, ServerFactory

SEED = 20261130
MAX_EXAMPLES = 12
ALLOW_FILE = Path(__file__).resolve().parent / "schemathesis-allow.toml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def _reference_contract() -> Path:
    for folder in Path(__file__).resolve().parents:
        spec = folder / "shared" / "reference" / "recordings-openapi.yml"
        if spec.is_file():
            return spec
    unavailable("shared/reference/recordings-openapi.yml not found above this test")


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    # no job threads: a generated transcription request must not start the speech engine; the
    # failed sign-in throttle (tested in tests/callvault/api/test_login_throttle.py) would answer
    # schemathesis's many wrong-credential probes with 429 instead of the 401 they check
    return module_server_factory(
        tmp_path_factory.mktemp("schemathesis"),
        env_overrides={
            "CALLVAULT_RUN_WORKERS": "false",
            "CALLVAULT_LOGIN_FAILURES_PER_USER": "100000/minute",
            "CALLVAULT_LOGIN_FAILURES_PER_ADDRESS": "100000/minute",
        },
    )


def _run(server: LiveServer, tmp_path: Path, location: str, parameters: dict[str, str], *extra: str) -> None:
    config = tmp_path / "schemathesis.toml"
    pinned = "".join(f'"path.{name}" = "{value}"\n' for name, value in parameters.items())
    config.write_text(ALLOW_FILE.read_text() + ("\n[parameters]\n" + pinned if pinned else ""))
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        location,
        *extra,  # every check runs (schemathesis's default); --checks all would override the allow file
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--auth",
        f"{server.username}:{server.password}",
        "--request-timeout",
        "30",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    log = tmp_path / "schemathesis.log"
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, (
        f"schemathesis found failures (all of it: {log}):\n{log.read_text()[-12000:]}"
    )


def _recording(server: LiveServer, wav_file: Path) -> dict[str, str]:
    created = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    return {
        "accountId": server.account_id,
        "callId": created["callId"],
        "recordingId": created["recordingId"],
    }


def test_the_official_contract_with_generated_ids(server: LiveServer, tmp_path: Path) -> None:
    _run(server, tmp_path, str(_reference_contract()), {}, "--url", f"{server.url}/api/v2")


def test_the_official_contract_on_a_stored_recording(
    server: LiveServer, tmp_path: Path, wav_file: Path
) -> None:
    ids = _recording(server, wav_file)
    _run(server, tmp_path, str(_reference_contract()), ids, "--url", f"{server.url}/api/v2")


def test_the_servers_own_openapi_document(server: LiveServer, tmp_path: Path) -> None:
    _run(server, tmp_path, f"{server.url}/openapi.json", {"accountId": server.account_id})
