"""A server killed while it holds a call's media does not take the recording with it.

Server A holds the media WebSocket and is SIGKILLed; its heartbeat stops, so when the call is hung
up through server B, B finishes the recording itself (status `partial`) instead of waiting for A.
B cannot reach A's spool (another data dir), so that recording is empty until A starts again and
fills it from its spool with the audio A held.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from support.server import LiveServer, start_server

pytestmark = [pytest.mark.scale, pytest.mark.timeout(600)]  # two or three server starts each


def _client(server: LiveServer) -> CallsClient:
    return CallsClient(server.url, server.username, server.password, server.account_id)


def test_hang_up_after_the_media_owner_died_still_gives_a_recording(tmp_path: Path) -> None:
    env = {
        "CALLVAULT_MEDIA_URL": str(tmp_path / "media"),
        "CALLVAULT_MEDIA_OWNER_TIMEOUT": "1.5s",
        "CALLVAULT_MASTER_KEY_FILE": str(tmp_path / "master.key"),  # servers on one database share it
    }
    media_server = start_server(tmp_path / "a", env_overrides=env)
    env["CALLVAULT_DATABASE_URL"] = media_server.database_url
    control_server = start_server(tmp_path / "b", env_overrides=env)
    try:
        with _client(media_server) as media_side, _client(control_server) as control_side:
            call_id = str(control_side.create_call("+15551230001", "+15551230002")["callId"])
            control_side.start_recording(call_id)
            stream = media_side.media_stream(call_id, {"inbound": L16_8K})
            stream.open()
            stream.send_audio({"inbound": np.zeros(8000, dtype=np.int16)})
            assert stream.mark() == 1.0
            os.kill(media_server.process.pid, signal.SIGKILL)
            media_server.process.wait(10)
            time.sleep(2.0)
            control_side.hang_up(call_id)
            [recording] = control_side.wait_for_recordings(call_id)
            assert (recording["status"], recording["duration"]) == ("partial", "PT0S")
            assert control_side_call_state(control_server, call_id) == "completed"

            media_server = start_server(media_server.data_dir, env_overrides=media_server.env)
            deadline = time.monotonic() + 30
            while control_side.recordings(call_id)[0]["duration"] == "PT0S" and time.monotonic() < deadline:
                time.sleep(0.1)
            [recording] = control_side.recordings(call_id)
        assert (recording["status"], recording["duration"]) == ("partial", "PT1S")
        assert list((media_server.data_dir / "live").iterdir()) == []
    finally:
        media_server.stop()
        control_server.stop()


def control_side_call_state(server: LiveServer, call_id: str) -> str:
    [(state,)] = server.db_rows("SELECT state FROM calls WHERE call_id = :c", c=call_id)
    return str(state)
