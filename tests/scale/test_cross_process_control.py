"""A pause sent to one server process takes effect within 100 ms on the process holding the call's media.

Two `callvault serve` processes share a PostgreSQL database (commands cross by LISTEN/NOTIFY) and,
in the second case, Redis (pub/sub). The call's audio streams to server A in real time while the
pause and resume go to server B; the recording shows where each cut landed.
"""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from callvault.calls.media_stream import L16_8K
from callvault.calls.simulate import CallsClient
from support import postgres
from support.server import LiveServer, start_server

RATE = 8000
PACKET = 160  # 20 ms
pytestmark = pytest.mark.scale


def _redis_url() -> str | None:
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["postgres-notify", "redis-pubsub"])
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    if postgres.server_url() is None:
        pytest.skip(postgres.why_not())
    env = {"CALLVAULT_MEDIA_URL": str(tmp_path / "shared-media")}
    if request.param == "redis-pubsub":
        url = _redis_url()
        if url is None:
            pytest.skip("no Redis on 127.0.0.1:6379")
        env["CALLVAULT_REDIS_URL"] = url
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


def _matching_prefix(actual: np.ndarray, expected: np.ndarray) -> int:
    n = min(len(actual), len(expected))
    mismatch = np.nonzero(actual[:n] != expected[:n])[0]
    return int(mismatch[0]) if len(mismatch) else n


def test_pause_on_another_process_takes_effect_within_100_ms(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    media_server, control_server = two_servers
    audio = np.random.default_rng(7).integers(-12000, 12000, size=6 * RATE, dtype=np.int16)
    with _client(media_server) as media_side, _client(control_server) as control_side:
        call_id = str(control_side.create_call("+15551230001", "+15551230002")["callId"])
        control_side.start_recording(call_id)
        with media_side.media_stream(call_id, {"inbound": L16_8K}) as stream:
            started = time.monotonic()
            for index, offset in enumerate(range(0, len(audio), PACKET)):
                if offset == 2 * RATE:
                    control_side.set_recording_state(call_id, "paused")
                if offset == 4 * RATE:
                    control_side.set_recording_state(call_id, "recording")
                stream.send_packet("inbound", audio[offset : offset + PACKET])
                time.sleep(max(0.0, started + (index + 1) * PACKET / RATE - time.monotonic()))
            stream.stop()
        [recording] = media_side.wait_for_recordings(call_id)
        data = media_side.download(recording["mediaUrl"])
    with wave.open(io.BytesIO(data)) as w:
        recorded = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    pause_lag = _matching_prefix(recorded, audio) - 2 * RATE
    assert 0 <= pause_lag <= 0.1 * RATE, f"the pause landed {pause_lag / RATE:.3f} s late"
    tail = recorded[2 * RATE + pause_lag :]
    resume_at = len(audio) - len(tail)
    assert np.array_equal(tail, audio[resume_at:]), "after the resume the audio is the call's, uncut"
    resume_lag = resume_at - 4 * RATE
    assert 0 <= resume_lag <= 0.1 * RATE, f"the resume landed {resume_lag / RATE:.3f} s late"
