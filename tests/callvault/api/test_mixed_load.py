"""A short mixed load on one server (parallel ingest, get, list, delete) stays consistent.

Every 201 is listed exactly once, nothing deleted is listed (neither after the run nor by a list that
began after its delete answered), and no request gets a 5xx. Bounded: 8 clients x 30 operations.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from support.server import LiveServer

CLIENTS = 8
OPERATIONS = 30


@dataclass
class _Ledger:
    """What the clients saw answered, with when (monotonic) each delete was answered."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[str, str] = field(default_factory=dict)  # recordingId -> callId
    deleted_at: dict[str, float] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    listed_after_delete: list[str] = field(default_factory=list)
    duplicates_listed: list[str] = field(default_factory=list)


def _check(ledger: _Ledger, response: httpx.Response, what: str) -> None:
    if response.status_code >= 500:
        with ledger.lock:
            ledger.server_errors.append(f"{what}: {response.status_code} {response.text[:200]}")


def _client_run(server: LiveServer, ledger: _Ledger, wav: bytes, caller: str, seed: int) -> None:
    rng = random.Random(seed)
    mine: list[tuple[str, str]] = []
    base = f"/api/v2/accounts/{server.account_id}"
    with server.client() as client:
        for _ in range(OPERATIONS):
            action = rng.choice(["ingest", "ingest", "get", "list", "delete"]) if mine else "ingest"
            if action == "ingest":
                call_id = f"c-{uuid.uuid4()}"
                response = client.post(
                    f"/ingest/accounts/{server.account_id}/calls/{call_id}/recordings",
                    data={"metadata": f'{{"from": "{caller}"}}'},
                    files={"media": ("a.wav", wav, "audio/wav")},
                )
                _check(ledger, response, "ingest")
                if response.status_code == 201:
                    recording_id = response.json()["recordingId"]
                    mine.append((call_id, recording_id))
                    with ledger.lock:
                        ledger.created[recording_id] = call_id
            elif action == "get":
                call_id, recording_id = rng.choice(mine)
                response = client.get(f"{base}/calls/{call_id}/recordings/{recording_id}")
                _check(ledger, response, "get")
                assert response.status_code == 200, response.text
            elif action == "list":
                started = time.monotonic()
                response = client.get(f"{base}/recordings", params={"from": caller})
                _check(ledger, response, "list")
                ids = [item["recordingId"] for item in response.json()]
                with ledger.lock:
                    ledger.duplicates_listed += [i for i in set(ids) if ids.count(i) > 1]
                    ledger.listed_after_delete += [
                        i for i in ids if i in ledger.deleted_at and ledger.deleted_at[i] < started
                    ]
            else:
                call_id, recording_id = mine.pop(rng.randrange(len(mine)))
                response = client.delete(f"{base}/calls/{call_id}/recordings/{recording_id}")
                _check(ledger, response, "delete")
                assert response.status_code == 204, response.text
                with ledger.lock:
                    ledger.deleted_at[recording_id] = time.monotonic()


def test_parallel_ingest_get_list_delete_stay_consistent(live_server: LiveServer, wav_file: Path) -> None:
    ledger = _Ledger()
    caller = f"+1919{secrets.randbelow(10**7):07d}"
    wav = wav_file.read_bytes()
    with ThreadPoolExecutor(CLIENTS) as pool:
        runs = [pool.submit(_client_run, live_server, ledger, wav, caller, seed) for seed in range(CLIENTS)]
        for run in runs:
            run.result()

    assert ledger.server_errors == []
    assert ledger.duplicates_listed == []
    assert ledger.listed_after_delete == []
    with live_server.client() as client:
        listed = client.get(
            f"/api/v2/accounts/{live_server.account_id}/recordings", params={"from": caller}
        ).json()
        ids = [item["recordingId"] for item in listed]
        assert sorted(ids) == sorted(set(ledger.created) - set(ledger.deleted_at))
        assert len(ids) == len(set(ids))
        for recording_id in ledger.deleted_at:
            call_id = ledger.created[recording_id]
            path = f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings/{recording_id}"
            assert client.get(path).status_code == 404
    assert len(ledger.created) >= CLIENTS and ledger.deleted_at
