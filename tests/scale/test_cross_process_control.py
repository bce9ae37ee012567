"""A pause sent to one server process cuts the recording on the process holding the call's media.

Two `callvault serve` processes share a PostgreSQL database (commands cross by LISTEN/NOTIFY) and,
in the second case, Redis (pub/sub). The call's audio goes to server A; the pause and resume go to
server B while A's media sits at 3 s and 5 s, so each cut must land exactly there. How late a cut
lands while audio keeps flowing in real time is a benchmark (benchmarks/bench_latency.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from support import postgres
from support.segments import noise, recorded_segments, wav_samples
from support.server import LiveServer, start_server

RATE = 8000
CROSSING_S = 2.0  # how long the media side waits for a command to cross; a liveness margin, not a target
pytestmark = pytest.mark.scale


@pytest.fixture(params=["postgres-notify", "redis-pubsub"])
def two_servers(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_admin_url: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {
        "CALLVAULT_MEDIA_URL": str(tmp_path / "shared-media"),
        "CALLVAULT_MASTER_KEY_FILE": str(tmp_path / "master.key"),  # servers on one database share it
    }
    if request.param == "redis-pubsub":
        env["CALLVAULT_REDIS_URL"] = request.getfixturevalue("redis_url")
    with postgres.fresh_database() as database_url:
        env["CALLVAULT_DATABASE_URL"] = database_url
        first = start_server(tmp_path / "a", env_overrides=env)
        second = start_server(tmp_path / "b", env_overrides=env)
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()


def _client(server: LiveServer) -> CallsClient:
    return CallsClient(server.url, server.username, server.password, server.account_id)


def test_pause_and_resume_on_another_process_cut_at_the_media_position(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    media_server, control_server = two_servers
    audio = noise(7, RATE)
    commands = {3: "paused", 5: "recording"}  # media second -> state
    with _client(media_server) as media_side, _client(control_server) as control_side:
        call_id = str(control_side.create_call("+15551230001", "+15551230002")["callId"])
        control_side.start_recording(call_id)
        with media_side.media_stream(call_id, {"inbound": L16_8K}) as stream:
            for second in range(7):
                if second in commands:
                    assert stream.mark() == second  # server A has taken every sample up to here
                    control_side.set_recording_state(call_id, commands[second])
                    time.sleep(CROSSING_S)
                stream.send_audio({"inbound": audio[second * RATE : (second + 1) * RATE]})
            stream.stop()
        [recording] = media_side.wait_for_recordings(call_id)
        recorded = wav_samples(media_side.download(recording["mediaUrl"]))

    assert recorded_segments(recorded, audio) == [(0, 3 * RATE), (5 * RATE, 7 * RATE)]
