"""The command line under bad conditions: one clear line on stderr, an exit code other than 0, no
traceback, and nothing asked or announced before the refusal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from support.receiver import closed_port_url


def _cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        input=stdin,
    )


def _assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_import_to_a_server_that_is_down(tmp_path: Path, wav_file: Path) -> None:
    url = closed_port_url("")
    result = _cli(
        "import", str(wav_file), "--account", "9900000", "--url", url, "--username", "u", "--password", "p"
    )
    _assert_one_clear_line(result, "cannot import to", url)


def test_media_migrate_to_s3_without_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = _cli(
        "media", "migrate", "--to", "s3://bucket/prefix", "--data-dir", str(tmp_path / "d"), env=env
    )
    _assert_one_clear_line(result, "s3://bucket", "credentials")


def test_serve_on_a_busy_port_says_so_before_serving(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("serve", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert "serving" not in result.stdout + result.stderr
    _assert_one_clear_line(result, f"127.0.0.1:{port}", "in use")


def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "CALLVAULT_WEBSOCKET_IMPLEMENTATION": "bogus", "CALLVAULT_DATABASE_POOL_SIZE": "0"}
    result = _cli("serve", "--data-dir", str(tmp_path / "d"), env=env)
    assert "serving" not in result.stdout + result.stderr
    _assert_one_clear_line(
        result, "CALLVAULT_WEBSOCKET_IMPLEMENTATION='bogus'", "CALLVAULT_DATABASE_POOL_SIZE"
    )


def test_passwd_for_a_missing_user_does_not_ask_first(tmp_path: Path) -> None:
    result = _cli(
        "users", "passwd", "nobody", "--data-dir", str(tmp_path / "d"), stdin="x-password\nx-password\n"
    )
    assert "Password" not in result.stdout + result.stderr
    _assert_one_clear_line(result, "nobody")
