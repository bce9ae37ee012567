"""The command line, run as a user would run it (subprocesses against real files and a real server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from support.server import LiveServer


def _cli(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    # a wide console, so that rich never wraps a long (xdist worker) tmp path in the middle of a name
    wide = {**(os.environ if env is None else env), "COLUMNS": "400"}
    result = subprocess.run(
        [sys.executable, "-m", "callvault", *args], capture_output=True, text=True, timeout=180, env=wide
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_users_add_list_passwd_remove(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    _cli(
        "users",
        "add",
        "alice",
        "--password",
        "first-password",
        "--account",
        "1",
        "--account",
        "2",
        "--data-dir",
        data,
    )
    listed = _cli("users", "list", "--data-dir", data)
    assert "alice" in listed.stdout and "1 (member), 2 (member)" in listed.stdout
    duplicate = _cli(
        "users", "add", "alice", "--password", "x-password", "--account", "1", "--data-dir", data, check=False
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    short = _cli(
        "users", "add", "bob", "--password", "short", "--account", "1", "--data-dir", data, check=False
    )
    assert short.returncode == 1 and "8 characters" in short.stderr
    _cli("users", "passwd", "alice", "--password", "second-password", "--data-dir", data)
    _cli("users", "remove", "alice", "--data-dir", data)
    missing = _cli("users", "remove", "alice", "--data-dir", data, check=False)
    assert missing.returncode == 1 and "No user" in missing.stderr
    db_state = _cli("db", "current", "--data-dir", data)
    database, code = db_state.stdout.split()[1], db_state.stdout.split()[3]
    assert database == code != "None"


def test_passwd_takes_effect_on_the_api(live_server: LiveServer) -> None:
    env = live_server.env
    data = str(live_server.data_dir)
    name = f"carol-{uuid.uuid4().hex[:8]}"
    _cli(
        "users",
        "add",
        name,
        "--password",
        "carol-password",
        "--account",
        "9900000",
        "--data-dir",
        data,
        env=env,
    )
    # never signed in with the first password, so no cached credential can answer for it
    _cli("users", "passwd", name, "--password", "carol-new-password", "--data-dir", data, env=env)
    url = f"{live_server.url}/api/v2/accounts/9900000/recordings"
    assert httpx.get(url, auth=(name, "carol-new-password")).status_code == 200
    assert httpx.get(url, auth=(name, "carol-password")).status_code == 401
    _cli("users", "remove", name, "--data-dir", data, env=env)


def test_import_files_and_folder_with_progress(
    live_server: LiveServer, wav_file: Path, mp3_file: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(wav_file, folder / "one.wav")
    shutil.copy(mp3_file, folder / "two.mp3")
    (folder / "notes.txt").write_text("not audio")
    result = _cli(
        "import",
        str(folder),
        "--account",
        live_server.account_id,
        "--call",
        "c-imported-1",
        "--from",
        "+15550001111",
        "--to",
        "+15550002222",
        "--direction",
        "inbound",
        "--url",
        live_server.url,
        "--username",
        live_server.username,
        "--password",
        live_server.password,
    )
    output = result.stdout + result.stderr
    assert "one.wav" in output and "two.mp3" in output
    with live_server.client() as client:
        listed = client.get(f"/api/v2/accounts/{live_server.account_id}/calls/c-imported-1/recordings").json()
    assert sorted(r["fileFormat"] for r in listed) == ["mp3", "wav"]
    assert {r["from"] for r in listed} == {"+15550001111"}


def test_import_reports_bad_files_and_fails(live_server: LiveServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"definitely not a wav file")
    result = _cli(
        "import",
        str(bad),
        "--account",
        live_server.account_id,
        "--url",
        live_server.url,
        "--username",
        live_server.username,
        "--password",
        live_server.password,
        check=False,
    )
    assert result.returncode == 1
    assert "400" in result.stdout + result.stderr
