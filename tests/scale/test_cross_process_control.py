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

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from support import postgres
from support.server import LiveServer, start_server

RATE = 8000
PACKET = 160  # 20 ms
pytestmark = pytest.mark.scale


@pytest.fixture(params=["postgres-notify", "redis-pubsub"])
def two_servers(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_admin_url: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {"CALLVAULT_MEDIA_URL": str(tmp_path / "shared-media")}
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


def _recorded_segments(recorded: np.ndarray, audio: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) sample ranges of `audio` that `recorded` is made of, in order (noise audio
    makes every 64-sample probe unique)."""
    windows = np.lib.stride_tricks.sliding_window_view(audio, 64)
    segments, position, cursor = [], 0, 0
    while position + 64 <= len(recorded):
        hits = np.nonzero((windows[cursor:] == recorded[position : position + 64]).all(axis=1))[0]
        assert len(hits), f"recorded sample {position} is not the call's audio"
        start = cursor + int(hits[0])
        limit = min(len(recorded) - position, len(audio) - start)
        mismatch = np.nonzero(recorded[position : position + limit] != audio[start : start + limit])[0]
        length = int(mismatch[0]) if len(mismatch) else limit
        segments.append((start, start + length))
        position += length
        cursor = start + length
    return segments


def test_pause_on_another_process_takes_effect_within_100_ms(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    media_server, control_server = two_servers
    audio = np.random.default_rng(7).integers(-12000, 12000, size=7 * RATE, dtype=np.int16)
    # (media second, state): a first pause/resume warms both processes up; the second one is measured
    commands = {1 * RATE: "paused", int(1.5 * RATE): "recording", 3 * RATE: "paused", 5 * RATE: "recording"}
    with _client(media_server) as media_side, _client(control_server) as control_side:
        call_id = str(control_side.create_call("+15551230001", "+15551230002")["callId"])
        control_side.start_recording(call_id)
        with media_side.media_stream(call_id, {"inbound": L16_8K}) as stream:
            started = time.monotonic()
            for index, offset in enumerate(range(0, len(audio), PACKET)):
                if offset in commands:
                    control_side.set_recording_state(call_id, commands[offset])
                stream.send_packet("inbound", audio[offset : offset + PACKET])
                time.sleep(max(0.0, started + (index + 1) * PACKET / RATE - time.monotonic()))
            stream.stop()
        [recording] = media_side.wait_for_recordings(call_id)
        data = media_side.download(recording["mediaUrl"])
    with wave.open(io.BytesIO(data)) as w:
        recorded = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    segments = _recorded_segments(recorded, audio)
    assert len(segments) == 3, segments
    assert segments[0][0] == 0 and segments[-1][1] == len(audio)
    pause_lag = (segments[1][1] - 3 * RATE) / RATE
    resume_lag = (segments[2][0] - 5 * RATE) / RATE
    print(f"pause lag {pause_lag * 1000:.0f} ms, resume lag {resume_lag * 1000:.0f} ms")
    assert 0 <= pause_lag <= 0.1, f"the pause landed {pause_lag:.3f} s late"
    assert 0 <= resume_lag <= 0.1, f"the resume landed {resume_lag:.3f} s late"
