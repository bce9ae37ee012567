"""Many simultaneous real-time live calls against one callvault process, as a telephony platform sends them.

Each call is created and told to StartRecording over HTTP, then one WebSocket per call carries PCMU
8 kHz in 20 ms `media` messages. One ticker sends every stream's next frame every 20 ms on the wall
clock (so the load is real time, not as fast as possible), and each second every stream sends a
`mark`: the server answers it once it has recorded everything sent before it, so the time from sending
a mark to its answer bounds how late any earlier frame was processed. After `stop` and hang-up, every
recording's duration must be exactly the audio sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from callvault.calls.media_stream import PCMU_8K, build_media, build_start, build_stop, encode_samples
from callvault.domain.timefmt import format_iso_duration

FRAME_SECONDS = 0.02
MARK_EVERY_FRAMES = 50


@dataclass
class _Stream:
    call_id: str
    ws: ClientConnection
    mark_sent: dict[str, float] = field(default_factory=dict)
    mark_lags: list[float] = field(default_factory=list)


def _frames(count: int) -> list[str]:
    """`count` media messages of a 440 Hz tone (the same for every stream)."""
    t = np.arange(count * 160) / 8000
    samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    return [
        build_media("inbound", n, encode_samples(PCMU_8K, samples[n * 160 : (n + 1) * 160]))
        for n in range(count)
    ]


async def _start_call(http: httpx.AsyncClient, account: str) -> str:
    created = await http.post(
        f"/accounts/{account}/calls",
        json={"from": "+19195550001", "to": "+19195550002", "applicationId": "bench-live"},
    )
    created.raise_for_status()
    call_id = str(created.json()["callId"])
    bxml = '<?xml version="1.0" encoding="UTF-8"?><Bxml><StartRecording fileFormat="wav"/></Bxml>'
    started = await http.put(
        f"/accounts/{account}/calls/{call_id}/bxml",
        content=bxml.encode(),
        headers={"Content-Type": "application/xml"},
    )
    started.raise_for_status()
    return call_id


async def _read_marks(stream: _Stream) -> None:
    async for message in stream.ws:
        reply = json.loads(message)
        sent = stream.mark_sent.pop(str(reply.get("name")), None)
        if sent is not None:
            stream.mark_lags.append(time.monotonic() - sent)


async def _run(
    base_url: str, auth: tuple[str, str], account: str, streams: int, seconds: float
) -> dict[str, Any]:
    frame_count = round(seconds / FRAME_SECONDS)
    frames = _frames(frame_count)
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    ws_base = base_url.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=60) as http:
        call_ids = [await _start_call(http, account) for _ in range(streams)]
        opened: list[_Stream] = []
        for call_id in call_ids:
            ws = await connect(
                f"{ws_base}/ingest/accounts/{account}/calls/{call_id}/media",
                additional_headers={"Authorization": f"Basic {token}"},
                compression=None,
                open_timeout=60,
                ping_interval=None,  # the load generator's own keepalive would judge the server's backlog
            )
            await ws.send(
                build_start(
                    account_id=account,
                    call_id=call_id,
                    stream_id=f"s-{uuid.uuid4()}",
                    tracks={"inbound": PCMU_8K},
                )
            )
            opened.append(_Stream(call_id, ws))
        readers = [asyncio.create_task(_read_marks(s)) for s in opened]
        ticker_late: list[float] = []
        started = time.monotonic()
        for index, message in enumerate(frames):
            due = started + index * FRAME_SECONDS
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            ticker_late.append(time.monotonic() - due)
            for stream in opened:
                await stream.ws.send(message)
                if (index + 1) % MARK_EVERY_FRAMES == 0:
                    name = f"m{index}"
                    stream.mark_sent[name] = time.monotonic()
                    await stream.ws.send(f'{{"eventType": "mark", "name": "{name}"}}')
        sent_seconds = time.monotonic() - started
        await asyncio.sleep(0.5)
        for stream in opened:
            await stream.ws.send(build_stop())
        await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), timeout=120)
        for call_id in call_ids:
            await http.post(f"/accounts/{account}/calls/{call_id}", json={"state": "completed"})
        expected = format_iso_duration(frame_count * FRAME_SECONDS)
        durations = await _durations(http, account, call_ids)
    lags = sorted(lag for s in opened for lag in s.mark_lags)
    unanswered = sum(len(s.mark_sent) for s in opened)
    return {
        "streams": streams,
        "seconds_per_stream": seconds,
        "frames_per_stream": frame_count,
        "wall_seconds_sending": round(sent_seconds, 2),
        "client_ticker_late_p99_ms": round(float(np.percentile(ticker_late, 99)) * 1000, 1),
        "marks_answered": len(lags),
        "marks_unanswered": unanswered,
        "mark_lag_p50_ms": round(lags[len(lags) // 2] * 1000, 1) if lags else None,
        "mark_lag_p99_ms": round(float(np.percentile(lags, 99)) * 1000, 1) if lags else None,
        "mark_lag_max_ms": round(lags[-1] * 1000, 1) if lags else None,
        "expected_duration": expected,
        "recordings_with_exact_duration": sum(1 for d in durations if d == expected),
        "recordings_found": sum(1 for d in durations if d is not None),
        "durations_seen": sorted({str(d) for d in durations}),
    }


async def _durations(http: httpx.AsyncClient, account: str, call_ids: list[str]) -> list[str | None]:
    deadline = time.monotonic() + 120
    found: dict[str, str | None] = dict.fromkeys(call_ids)
    while time.monotonic() < deadline and any(v is None for v in found.values()):
        for call_id in [c for c, v in found.items() if v is None]:
            listed = (await http.get(f"/accounts/{account}/calls/{call_id}/recordings")).json()
            if listed:
                found[call_id] = str(listed[-1]["duration"])
        await asyncio.sleep(0.2)
    return list(found.values())


def run_live_streams(
    base_url: str, auth: tuple[str, str], account: str, streams: int, seconds: float
) -> dict[str, Any]:
    return asyncio.run(_run(base_url, auth, account, streams, seconds))
