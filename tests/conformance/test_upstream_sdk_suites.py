"""Bandwidth's own python-sdk recordings tests, unedited but for host, credentials and fixture ids.

The sources are the ones published with the SDK we pin: the `bandwidth-sdk==23.3.1` sdist on PyPI
ships `test/unit/api/test_recordings_api.py` and `test/smoke/test_recordings_api.py` (sha256 below;
upstream repository Bandwidth/python-sdk, where the smoke file is unchanged through commit
ba8d157, and the unit file differs only in using `access_token` where later commits use
client_id/client_secret). They are fetched with pip into `.venv-sdk/upstream/` and never copied
into this repository. Each test runs in its own process under the official SDK (`run_upstream.py`);
the only changes are the `REPLACEMENTS` below, applied as exact text replacements that must match.

* unit suite: written against a Prism mock, so every test expects the fixture recording (fully
  described, with a finished transcription) and an active, recording call to exist; the fixture is
  put back before each test, because the tests delete it in alphabetical order.
* smoke suite: creates real calls whose answerUrl is Manteca's; `manteca.py` stands in for it and
  plays speech into each call over callvault's media WebSocket.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from callvault.cli.simulate import CallsClient
from conformance.manteca import Manteca
from conformance.sdk_env import SDK_REQUIREMENT, SDK_VENV, SDK_VERSION, isolated_env
from support.needs import unavailable
from support.server import LiveServer, ServerFactory

RUNNER = Path(__file__).resolve().parent / "run_upstream.py"
SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "english_8k.wav"
UPSTREAM_DIR = SDK_VENV / "upstream" / f"bandwidth-sdk-{SDK_VERSION}"
HAMCREST = "pyhamcrest==2.1.0"
UNIT = "test/unit/api/test_recordings_api.py"
SMOKE = "test/smoke/test_recordings_api.py"
SHA256 = {
    UNIT: "f3f2dd43a6371727585a6b1af790769ca6e4dd2efb98dc062eb5db0fe35cd450",
    SMOKE: "8b2b7106aa54bab01e8a9d7b18735d212e4820df14e59918bd58dab5d4c01523",
}
SOURCE_FILES = [
    *SHA256,
    "test/utils/__init__.py",
    "test/utils/env_variables.py",
    "test/utils/call_cleanup.py",
]
UPSTREAM_SKIPS = {
    "TestRecordingsApi.test_get_call_recording": "skip due to prism error",
    "TestRecordings.test_invalid_update_call_recording_state": "PV Issues",
}
UNIT_TESTS = [
    "test_delete_recording",
    "test_delete_recording_media",
    "test_delete_recording_transcription",
    "test_download_call_recording",
    "test_get_call_recording",
    "test_get_recording_transcription",
    "test_list_account_call_recordings",
    "test_list_call_recordings",
    "test_transcribe_call_recording",
    "test_update_call_recording_state",
]
SMOKE_TESTS = [
    "test_successful_call_recording",
    "test_successful_update_active_recording",
    "test_4xx_errors",
    "test_invalid_update_call_recording_state",
]
TRANSCRIPTION_TIMEOUT_S = 180.0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _have_sources(root: Path) -> bool:
    return all((root / name).is_file() for name in SOURCE_FILES) and all(
        _digest(root / name) == digest for name, digest in SHA256.items()
    )


def _pip(python: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env or isolated_env(), timeout=900)


def fetch_upstream_sources(python: Path) -> str | None:
    """Copy the sdist's test sources into UPSTREAM_DIR; the reason when that cannot be done.

    The sdist cannot be built (its setup.py wants a requirements.txt it does not ship), so pip stops
    after unpacking it; `--no-clean` keeps the unpacked tree in our own TMPDIR, where we take it."""
    scratch = SDK_VENV / "upstream" / "scratch"
    subprocess.run(["rm", "-rf", str(scratch)], check=True)
    scratch.mkdir(parents=True)
    env = isolated_env() | {"TMPDIR": str(scratch)}
    _pip(
        python,
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--no-clean",
        "-d",
        str(scratch / "dl"),
        SDK_REQUIREMENT,
        env=env,
    )
    unpacked = [p.parent for p in scratch.glob("pip-*/bandwidth*sdk*/test") if p.is_dir()]
    if not unpacked or not _have_sources(unpacked[0]):
        return f"pip did not unpack {SDK_REQUIREMENT}'s sdist with the expected test files under {scratch}"
    for name in SOURCE_FILES:
        target = UPSTREAM_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((unpacked[0] / name).read_bytes())
    subprocess.run(["rm", "-rf", str(scratch)], check=True)
    return None


@pytest.fixture(scope="module")
def upstream(official_sdk_python: Path) -> Path:
    """The upstream source tree (holding test/), and PyHamcrest in the SDK's environment."""
    if not _have_sources(UPSTREAM_DIR):
        error = fetch_upstream_sources(official_sdk_python)
        if error is not None:
            unavailable(error)
    probe = subprocess.run(
        [str(official_sdk_python), "-c", "import hamcrest"], env=isolated_env(), capture_output=True
    )
    if probe.returncode != 0:
        installed = _pip(official_sdk_python, "install", "-q", HAMCREST)
        if installed.returncode != 0:
            unavailable(f"cannot install {HAMCREST} into {SDK_VENV}: {installed.stderr[-1000:]}")
    return UPSTREAM_DIR


def upstream_env(server: LiveServer, manteca_url: str = "http://127.0.0.1:9/") -> dict[str, str]:
    """The variables test/utils/env_variables.py requires; those the recordings tests never use are
    set to harmless placeholders."""
    return isolated_env() | {
        "BW_USERNAME": server.username,
        "BW_PASSWORD": server.password,
        "BW_CLIENT_ID": server.username,
        "BW_CLIENT_SECRET": server.password,
        "BW_ACCOUNT_ID": server.account_id,
        "BW_MESSAGING_APPLICATION_ID": "unused",
        "BW_VOICE_APPLICATION_ID": "unused",
        "BASE_CALLBACK_URL": "http://127.0.0.1:9/",
        "BW_NUMBER": "+19195550001",
        "VZW_NUMBER": "+19195550002",
        "ATT_NUMBER": "+19195550003",
        "T_MOBILE_NUMBER": "+19195550004",
        "USER_NUMBER": "+19195550005",
        "BW_USERNAME_FORBIDDEN": "unused",
        "BW_PASSWORD_FORBIDDEN": "unused",
        "MANTECA_ACTIVE_NUMBER": "+19195550100",
        "MANTECA_IDLE_NUMBER": "+19195550199",
        "MANTECA_BASE_URL": manteca_url,
        "MANTECA_APPLICATION_ID": str(uuid.UUID(int=0x5EED)),
        "PYTHON_VERSION": "3.11",
        "OPERATING_SYSTEM": "linux",
        "RUNNER_OS": "Linux",
    }


def run_upstream(
    python: Path,
    root: Path,
    source: str,
    module: str,
    test: str,
    replacements: list[tuple[str, str]],
    server: LiveServer,
    env: dict[str, str],
) -> None:
    result = subprocess.run(
        [str(python), str(RUNNER), str(root / source), module, test, json.dumps(replacements),
         server.url + "/api/v2"],
        capture_output=True, text=True, env=env, cwd=root, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, f"{test}:\n{result.stdout}\n{result.stderr[-6000:]}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ran"] == 1
    if test in UPSTREAM_SKIPS:
        assert summary["skipped"] == [UPSTREAM_SKIPS[test]]
    else:
        assert summary["skipped"] == [], summary


def bandwidth_id(prefix: str) -> str:
    """47 characters, as Bandwidth's call and recording ids are (the unit suite checks lengths)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{uuid.uuid4()}"


# --- the unit suite ----------------------------------------------------------------------------------


class UnitFixture:
    """The recording the unit suite expects at `c-1234`/`r-1234`, on a call that is recording."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = server.client()
        self.calls = CallsClient(server.url, server.username, server.password, server.account_id)
        self.call_id = str(self.calls.create_call("+19195550100", "+19195550199")["callId"])
        self.calls.start_recording(self.call_id)
        self.recording_id = bandwidth_id("r")

    @property
    def path(self) -> str:
        return (
            f"/api/v2/accounts/{self.server.account_id}/calls/{self.call_id}/recordings/{self.recording_id}"
        )

    def restore(self) -> None:
        """Recording with media and a finished transcription, whatever the previous test deleted."""
        recording = self.http.get(self.path)
        if recording.status_code == 200 and self.http.get(self.path + "/media").status_code != 200:
            assert self.http.delete(self.path).status_code == 204
            recording = self.http.get(self.path)
        if recording.status_code == 404:
            self._ingest()
        if self.http.get(self.path + "/transcription").status_code != 200:
            self._transcribe()

    def _ingest(self) -> None:
        self.server.ingest(
            self.call_id,
            SPEECH,
            {
                "recordingId": self.recording_id,
                "applicationId": str(uuid.uuid4()),
                "parentCallId": bandwidth_id("c"),
                "from": "+19195550100",
                "to": "+19195550199",
                "transferCallerId": "+19195550111",
                "transferTo": "+19195550122",
                "direction": "inbound",
                "recordingName": "upstream-unit-fixture",
            },
        )

    def _transcribe(self) -> None:
        response = self.http.post(self.path + "/transcription", json={})
        assert response.status_code == 204, response.text
        deadline = time.monotonic() + TRANSCRIPTION_TIMEOUT_S
        while self.http.get(self.path + "/transcription").status_code != 200:
            assert time.monotonic() < deadline, "the fixture recording was not transcribed in time"
            time.sleep(0.5)

    def close(self) -> None:
        self.calls.hang_up(self.call_id)
        self.calls.close()
        self.http.close()


@pytest.fixture(scope="module")
def upstream_server(
    module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    return module_server_factory(tmp_path_factory.mktemp("upstream-suites"))


@pytest.fixture(scope="module")
def unit_fixture(upstream_server: LiveServer) -> Iterator[UnitFixture]:
    fixture = UnitFixture(upstream_server)
    yield fixture
    fixture.close()


@pytest.mark.parametrize("test", UNIT_TESTS)
def test_upstream_unit_recordings_suite(
    official_sdk_python: Path,
    upstream: Path,
    unit_fixture: UnitFixture,
    upstream_server: LiveServer,
    test: str,
) -> None:
    server = upstream_server
    unit_fixture.restore()
    replacements = [
        (
            "            access_token='abcd1234',\n            host='http://127.0.0.1:4010',",
            "            client_id=BW_CLIENT_ID,\n            client_secret=BW_CLIENT_SECRET,\n"
            f"            access_token_url={server.url + '/api/v1/oauth2/token'!r},\n"
            f"            host={server.url + '/api/v2'!r},",
        ),
        ('cls.call_id = "c-1234"', f'cls.call_id = "{unit_fixture.call_id}"'),
        ('cls.recording_id = "r-1234"', f'cls.recording_id = "{unit_fixture.recording_id}"'),
    ]
    run_upstream(
        official_sdk_python, upstream, UNIT, "test.unit.api.test_recordings_api", f"TestRecordingsApi.{test}",
        replacements, server, upstream_env(server),
    )  # fmt: skip


# --- the smoke suite ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manteca(upstream_server: LiveServer) -> Iterator[Manteca]:
    server = upstream_server
    with Manteca(
        server.url, server.username, server.password, server.account_id, SPEECH
    ).running() as harness:
        yield harness


@pytest.mark.parametrize("test", SMOKE_TESTS)
def test_upstream_smoke_recordings_suite(
    official_sdk_python: Path,
    upstream: Path,
    manteca: Manteca,
    upstream_server: LiveServer,
    test: str,
) -> None:
    server = upstream_server
    replacements = [
        (
            "        configuration = Configuration(\n            client_id=BW_CLIENT_ID,\n"
            "            client_secret=BW_CLIENT_SECRET\n        )",
            "        configuration = Configuration(\n            client_id=BW_CLIENT_ID,\n"
            "            client_secret=BW_CLIENT_SECRET,\n"
            f"            access_token_url={server.url + '/api/v1/oauth2/token'!r},\n"
            f"            host={server.url + '/api/v2'!r},\n"
            "            ignore_operation_servers=True\n        )",
        ),
        ('"https://voice.bandwidth.com/api/v2/accounts/"', repr(server.url + "/api/v2/accounts/")),
    ]
    run_upstream(
        official_sdk_python, upstream, SMOKE, "test.smoke.test_recordings_api", f"TestRecordings.{test}",
        replacements, server, upstream_env(server, manteca.base_url),
    )  # fmt: skip
    errors = [error for t in manteca.tests.values() for error in t.errors]
    assert not errors, errors
