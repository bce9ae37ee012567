"""Latency figures that tests only check for behaviour: how soon, measured here instead of asserted there.

* cross-process pause: audio streams to server A in real time while pause/resume go to server B
  (PostgreSQL LISTEN/NOTIFY, then Redis pub/sub); how late each cut lands in the media (target 100 ms);
* client retry: the wait of `retry_on_rate_limit` for `Retry-After: 1`, and for `Retry-After: 3600`
  under a 0.2 s cap;
* webhooks: the duration of a delivery attempt cut by its 0.3 s timeout, and how long the test
  receiver takes to close while a handler sleeps in a scripted delay;
* transcription: how long a stereo call takes with a generous deadline, and with a 0.3 s one.

    .venv/bin/python benchmarks/bench_latency.py [--repeat 3] [--skip-transcription]

Writes benchmarks/results/latency.json with the command that made it. PostgreSQL and Redis come from
tests/support (the machine's, or started for the run); a part that cannot run is recorded as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from quiet import Sections

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bandwidth
from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from callvault.transcription import TranscriptionTimeout, load_engine
from callvault.webhooks.delivery import WebhookRequest, deliver
from support import postgres, redis_server
from support.canned_http import CannedResponse, CannedServer
from support.receiver import ScriptedResponse, WebhookReceiver
from support.segments import noise, recorded_segments, wav_samples
from support.server import LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
STEREO_CALL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech" / "call_stereo_8k.wav"
RATE = 8000
PACKET = 160  # 20 ms


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
        "min": round(min(values), 1),
    }


def pause_lags_ms(media_server: LiveServer, control_server: LiveServer) -> tuple[float, float]:
    """One real-time call, paused at 3 s and resumed at 5 s through the other server."""
    audio = noise(7, RATE)
    commands = {3 * RATE: "paused", 5 * RATE: "recording"}
    client = (media_server.username, media_server.password, media_server.account_id)
    with (
        CallsClient(media_server.url, *client) as media_side,
        CallsClient(control_server.url, *client) as control,
    ):
        call_id = str(control.create_call("+15551230001", "+15551230002")["callId"])
        control.start_recording(call_id)
        with media_side.media_stream(call_id, {"inbound": L16_8K}) as stream:
            started = time.monotonic()
            for index, offset in enumerate(range(0, len(audio), PACKET)):
                if offset in commands:
                    control.set_recording_state(call_id, commands[offset])  # type: ignore[arg-type]
                stream.send_packet("inbound", audio[offset : offset + PACKET])
                time.sleep(max(0.0, started + (index + 1) * PACKET / RATE - time.monotonic()))
            stream.stop()
        [recording] = media_side.wait_for_recordings(call_id)
        recorded = wav_samples(media_side.download(recording["mediaUrl"]))
    segments = recorded_segments(recorded, audio)
    assert len(segments) == 2, segments
    return (segments[0][1] - 3 * RATE) / RATE * 1000, (segments[1][0] - 5 * RATE) / RATE * 1000


def measure_cross_process_pause(repeat: int) -> dict[str, Any]:
    admin = postgres.server_url()
    if admin is None:
        return {"skipped": postgres.why_not()}
    buses: dict[str, dict[str, str]] = {"postgres-notify": {}}
    redis_url = redis_server.server_url()
    buses["redis-pubsub"] = {"CALLVAULT_REDIS_URL": redis_url} if redis_url else {}
    results: dict[str, Any] = {"target_ms": 100}
    for bus, extra in buses.items():
        if bus == "redis-pubsub" and not redis_url:
            results[bus] = {"skipped": redis_server.why_not()}
            continue
        with tempfile.TemporaryDirectory() as tmp, postgres.fresh_database() as database_url:
            env = {"CALLVAULT_MEDIA_URL": f"{tmp}/media", "CALLVAULT_DATABASE_URL": database_url, **extra}
            first = start_server(Path(tmp) / "a", env_overrides=env)
            second = start_server(Path(tmp) / "b", env_overrides=env)
            try:
                pause_lag_ms(first, second)  # warm-up: imports, connections, the bus subscription
                lags = [pause_lags_ms(first, second) for _ in range(repeat)]
            finally:
                first.stop()
                second.stop()
        results[bus] = {
            "pause_lag_ms": summary([pause for pause, _ in lags]),
            "resume_lag_ms": summary([resume for _, resume in lags]),
        }
    return results


def pause_lag_ms(media_server: LiveServer, control_server: LiveServer) -> float:
    return pause_lags_ms(media_server, control_server)[0]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure_client_retry(repeat: int) -> dict[str, Any]:
    path = "/accounts/9900000/calls/c-1/recordings/r-1"
    found = CannedResponse(200, {"recordingId": "r-1"})

    def wait_ms(retry_after: str, cap: float) -> float:
        server = CannedServer()
        server.start()
        try:
            server.add(
                "GET", path, CannedResponse(429, {"type": "error"}, {"Retry-After": retry_after}), found
            )
            configuration = bandwidth.Configuration(
                host=server.url, username="u", password="p", retry_on_rate_limit=True
            )
            configuration.max_retry_after_seconds = cap
            with bandwidth.ApiClient(configuration) as client:
                api = bandwidth.RecordingsApi(client)
                return timed(lambda: api.get_call_recording("9900000", "c-1", "r-1"))
        finally:
            server.stop()

    return {
        "retry_after_1s_ms": summary([wait_ms("1", 60.0) for _ in range(repeat)]),
        "retry_after_3600s_capped_at_0.2s_ms": summary([wait_ms("3600", 0.2) for _ in range(repeat)]),
    }


def measure_webhooks(repeat: int) -> dict[str, Any]:
    attempts, closes = [], []
    for _ in range(repeat):
        with WebhookReceiver() as receiver:
            receiver.script("/hook", [ScriptedResponse(status=200, delay=3.0)], then=200)
            result = deliver(
                WebhookRequest(url=receiver.url("/hook"), method="POST", body={"a": 1}, timeout=0.3),
                sleep=lambda _seconds: None,
            )
            attempts.append(float(result.attempts[0].duration_ms))
        receiver = WebhookReceiver().start()
        receiver.script("/slow", then=200, delay=3600)
        with contextlib.suppress(httpx.ReadTimeout):
            httpx.post(receiver.url("/slow"), json={}, timeout=0.2)
        closes.append(timed(receiver.close))
    return {
        "attempt_cut_by_0.3s_timeout_ms": summary(attempts),
        "receiver_close_with_sleeping_handler_ms": summary(closes),
    }


def measure_transcription_deadline(cache_dir: Path) -> dict[str, Any]:
    engine = load_engine(model_dir=None, cache_dir=cache_dir, cpu_threads=2)
    engine.transcribe(STEREO_CALL, deadline=time.monotonic() + 600)  # warm: the model is loaded
    full_ms = timed(lambda: engine.transcribe(STEREO_CALL, deadline=time.monotonic() + 600))
    started = time.perf_counter()
    try:
        engine.transcribe(STEREO_CALL, deadline=time.monotonic() + 0.3)
        outcome = "finished"
    except TranscriptionTimeout:
        outcome = "timeout"
    return {
        "audio": STEREO_CALL.name,
        "full_run_ms": round(full_ms, 1),
        "with_0.3s_deadline_ms": round((time.perf_counter() - started) * 1000, 1),
        "with_0.3s_deadline_outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-transcription", action="store_true")
    parser.add_argument("--output", default="latency.json")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "command": " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "repeat": args.repeat,
    }
    sections = Sections()  # a latency taken on a busy machine is marked so, with the load it had
    for name, measure in (
        ("cross_process_pause", measure_cross_process_pause),
        ("client_retry", measure_client_retry),
        ("webhooks", measure_webhooks),
    ):
        sections.start(name)
        results[name] = measure(args.repeat)
    if not args.skip_transcription:
        sections.start("transcription_deadline")
        with tempfile.TemporaryDirectory() as cache:
            results["transcription_deadline"] = measure_transcription_deadline(Path(cache))
    results["machine_state"] = sections.report()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
