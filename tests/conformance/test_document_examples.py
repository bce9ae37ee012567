"""The ten examples of RecordingsApi.md, run unchanged with our `bandwidth` client against callvault
listening on http://localhost (port 80), with the document's own account, call and recording ids.

The document has no code fences: an example starts at the line ``import bandwidth`` and ends with the
``print("Exception when calling ...")`` line. The examples read USERNAME/PASSWORD from os.environ but
never import os, so each runs as ``python -c "import os; exec(compile(open(P).read(), P, 'exec'))"``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.needs import unavailable
from support.server import LiveServer

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO.parent / "shared" / "reference" / "RecordingsApi.md"
SRC = REPO / "src"
ACCOUNT = "9900000"
CALL = "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
RECORDING = "r-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
FAILED_CALL = "Exception when calling"
RUN_ORDER = [
    "get_call_recording",
    "list_call_recordings",
    "list_account_call_recordings",
    "download_call_recording",
    "transcribe_call_recording",
    "get_recording_transcription",
    "update_call_recording_state",
    "delete_recording_transcription",
    "delete_recording_media",
    "delete_recording",
]
TRANSCRIPTION_WAIT_S = float(os.environ.get("CALLVAULT_DOC_TRANSCRIPTION_WAIT", "300"))

if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))


def extract_examples(text: str) -> dict[str, str]:
    """Method name -> example source, from ``import bandwidth`` through its ``except`` print line."""
    lines = text.splitlines()
    examples: dict[str, str] = {}
    index = 0
    while index < len(lines):
        if lines[index].strip() != "import bandwidth":
            index += 1
            continue
        end = index
        while end < len(lines) and f'print("{FAILED_CALL}' not in lines[end]:
            end += 1
        if end == len(lines):
            raise ValueError(f"example starting at line {index + 1} never ends")
        match = re.search(r"RecordingsApi->(\w+)", lines[end])
        assert match is not None, lines[end]
        examples[match.group(1)] = "\n".join(lines[index : end + 1]) + "\n"
        index = end + 1
    return examples


@pytest.fixture(scope="module")
def examples() -> dict[str, str]:
    if not DOCUMENT.exists():
        unavailable(f"reference document not found at {DOCUMENT}")
    return extract_examples(DOCUMENT.read_text(encoding="utf-8"))


def run_example(
    source: str, directory: Path, name: str, username: str, password: str
) -> subprocess.CompletedProcess[str]:
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "USERNAME": username, "PASSWORD": password, "PYTHONPATH": str(SRC)}
    launcher = f"import os; exec(compile(open({str(path)!r}).read(), {str(path)!r}, 'exec'))"
    return subprocess.run(
        [sys.executable, "-c", launcher], capture_output=True, text=True, env=env, cwd=directory, timeout=120
    )


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"


def test_document_has_the_ten_examples_with_its_ids(examples: dict[str, str]) -> None:
    assert sorted(examples) == sorted(RUN_ORDER)
    for name, source in examples.items():
        assert f"api_instance.{name}(" in source
        assert f"account_id = '{ACCOUNT}'" in source
        assert "import os" not in source
        compile(source, name, "exec")
        if "call_id = " in source:
            assert f"call_id = '{CALL}'" in source
        if "recording_id = " in source:
            assert f"recording_id = '{RECORDING}'" in source


def test_update_example_fails_client_side_because_state_is_required(
    examples: dict[str, str], tmp_path: Path
) -> None:
    # `bandwidth.UpdateCallRecording()` is built outside the example's try block and `state` is
    # required (as in the official SDK), so pydantic refuses it before any request is sent: the
    # process exits 1 with a ValidationError naming `state`. No server is needed to see that.
    result = run_example(examples["update_call_recording_state"], tmp_path, "update", "u", "p")

    assert result.returncode == 1, describe(result)
    assert "ValidationError" in result.stderr
    assert "state" in result.stderr
    assert FAILED_CALL not in result.stdout


def test_document_examples_run_unchanged_against_callvault_on_port_80(
    examples: dict[str, str], port80_server: LiveServer, wav_file: Path, tmp_path: Path
) -> None:
    server = port80_server
    assert server.account_id == ACCOUNT
    ingested = server.ingest(
        CALL, wav_file, {"recordingId": RECORDING, "from": "+19195554321", "to": "+19195551234"}
    )
    assert ingested["recordingId"] == RECORDING, ingested
    recording_path = f"/api/v2/accounts/{ACCOUNT}/calls/{CALL}/recordings/{RECORDING}"

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return run_example(examples[name], tmp_path, name, server.username, server.password)

    def printed(name: str) -> str:
        """What a succeeding example printed after its "The response of ..." header ("" if none)."""
        result = run(name)
        assert result.returncode == 0 and FAILED_CALL not in result.stdout, describe(result)
        header = f"The response of RecordingsApi->{name}:"
        return result.stdout.split(header, 1)[1] if header in result.stdout else ""

    def server_get(suffix: str = "") -> httpx.Response:
        with server.client() as client:
            return client.get(recording_path + suffix)

    assert f"recording_id='{RECORDING}'" in printed("get_call_recording")
    assert f"recording_id='{RECORDING}'" in printed("list_call_recordings")
    # The example filters on to/from '%2b1919555...' and an empty [minStartTime, maxStartTime) range:
    # a valid request that matches nothing.
    assert printed("list_account_call_recordings").strip() == "[]"
    assert printed("download_call_recording").strip().startswith("bytearray(b'RIFF")

    assert printed("transcribe_call_recording") == ""
    assert server_get().json()["transcription"]["id"].startswith("t-")
    transcription = wait_for_transcription(run)
    assert transcription.returncode == 0 and FAILED_CALL not in transcription.stdout, describe(transcription)
    assert "transcripts=[" in transcription.stdout, describe(transcription)

    # Built without `state`, the body is refused by pydantic before the request: exit 1, no request.
    update = run("update_call_recording_state")
    assert update.returncode == 1, describe(update)
    assert "ValidationError" in update.stderr and "state" in update.stderr, describe(update)

    assert printed("delete_recording_transcription") == ""
    assert server_get("/transcription").status_code == 404
    assert printed("delete_recording_media") == ""
    assert "mediaUrl" not in server_get().json()
    assert server_get("/media").status_code == 404
    assert printed("delete_recording") == ""
    assert server_get().status_code == 404


def wait_for_transcription(run: Any) -> subprocess.CompletedProcess[str]:
    """Rerun the Get Transcription example while it answers 404 (not done yet), up to the wait."""
    deadline = time.monotonic() + TRANSCRIPTION_WAIT_S
    while True:
        result: subprocess.CompletedProcess[str] = run("get_recording_transcription")
        if FAILED_CALL not in result.stdout or "(404)" not in result.stdout or time.monotonic() >= deadline:
            return result
        time.sleep(2.0)
