"""A burst of wrong passwords is throttled before hashing: the server stays small, valid users are served."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from support.errors import assert_error_body
from support.server import LiveServer, ServerFactory

BURST_REQUESTS = 400
BURST_THREADS = 40
RSS_LIMIT_MB = 400


def _memory_mb(server: LiveServer, field: str) -> float:
    """`VmRSS` (now) or `VmHWM` (peak) of the server process, in MB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{server.process.pid}/status")


def test_wrong_password_burst_is_throttled_before_hashing_and_valid_users_keep_working(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory(tmp_path / "data")
    recordings = f"/api/v2/accounts/{server.account_id}/recordings"
    with server.client() as valid:
        assert valid.get(recordings).status_code == 200
    before_mb = _memory_mb(server, "VmRSS")

    valid_statuses: list[int] = []
    stop = threading.Event()

    def keep_using_the_api() -> None:
        with server.client() as client:
            while not stop.is_set():
                valid_statuses.append(client.get(recordings).status_code)

    def guess(number: int) -> httpx.Response:
        username = server.username if number % 2 else f"guess-{uuid.uuid4().hex[:8]}"
        return httpx.get(f"{server.url}{recordings}", auth=(username, f"wrong-{number}"), timeout=60)

    valid_user = threading.Thread(target=keep_using_the_api)
    valid_user.start()
    try:
        with ThreadPoolExecutor(BURST_THREADS) as pool:
            answers = list(pool.map(guess, range(BURST_REQUESTS)))
    finally:
        stop.set()
        valid_user.join(60)
    peak_mb = _memory_mb(server, "VmHWM")
    statuses = Counter(response.status_code for response in answers)
    print(f"RSS before {before_mb:.0f} MB, peak {peak_mb:.0f} MB; answers {dict(statuses)}")

    assert set(statuses) <= {401, 429}, statuses
    assert statuses[429] >= BURST_REQUESTS - 60, statuses
    throttled = next(response for response in answers if response.status_code == 429)
    assert_error_body(throttled, 429, "error")
    assert int(throttled.headers["retry-after"]) >= 1
    assert peak_mb < RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    assert valid_statuses and set(valid_statuses) == {200}, Counter(valid_statuses)
    server.stop()
