"""Encryption at rest: encrypted vs plaintext ingest and download throughput, side by side in one run.

Two real servers on 127.0.0.1 with their own data dirs, one with CALLVAULT_ENCRYPT_MEDIA=false and
one with the default (encrypted); each ingests the same WAV files over HTTP and downloads them again
(whole, and in 1 MiB ranges, as a player seeks). Also the blob store alone (the encrypting wrapper vs
the bare directory, in process), which isolates the cipher's cost from HTTP's. Target: encrypted
throughput >= 0.7x plaintext's.

    .venv/bin/python benchmarks/bench_encryption.py [--size-mb 32] [--files 4] [--rounds 3] [--smoke]

Writes benchmarks/results/encryption.json with the command that made it (`--smoke`: a tiny run that
checks the script works; its figures mean little).
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from callvault.media.encrypted import EncryptedBlobStore, StoredKey
from callvault.media.files import FileBlobStore
from support.audio_files import write_wav
from support.server import LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.7
PIECE = 1 << 20


def _mb_per_s(total_bytes: int, seconds: list[float]) -> float:
    return round(total_bytes / statistics.median(seconds) / 1e6, 1)


def _server_side(server: LiveServer, files: list[Path], rounds: int) -> dict[str, float]:
    total = sum(path.stat().st_size for path in files)
    ingest, download, ranged = [], [], []
    created: list[dict[str, Any]] = []
    for _ in range(rounds):
        started = time.perf_counter()
        created = [server.ingest(f"bench-{uuid.uuid4().hex[:12]}", path) for path in files]
        ingest.append(time.perf_counter() - started)
    with server.client() as client:
        paths = [
            f"/api/v2/accounts/{server.account_id}/calls/{c['callId']}/recordings/{c['recordingId']}/media"
            for c in created
        ]
        for _ in range(rounds):
            started = time.perf_counter()
            for path in paths:
                with client.stream("GET", path) as response:
                    for _chunk in response.iter_bytes(PIECE):
                        pass
            download.append(time.perf_counter() - started)
            started = time.perf_counter()
            for path, source in zip(paths, files, strict=True):
                size = source.stat().st_size
                for first in range(0, size, PIECE):
                    got = client.get(path, headers={"Range": f"bytes={first}-{min(first + PIECE, size) - 1}"})
                    assert got.status_code == 206
            ranged.append(time.perf_counter() - started)
    return {
        "ingest_mb_s": _mb_per_s(total, ingest),
        "download_mb_s": _mb_per_s(total, download),
        "ranged_download_mb_s": _mb_per_s(total, ranged),
    }


class _Keys:
    def __init__(self) -> None:
        self.keys: dict[str, StoredKey] = {}

    def create(self, blob_key: str, data_key: bytes) -> None:
        self.keys[blob_key] = StoredKey(data_key)

    def lookup(self, blob_key: str) -> StoredKey | None:
        return self.keys.get(blob_key)

    def forget(self, blob_key: str) -> None:
        self.keys.pop(blob_key, None)


def _store_side(root: Path, size: int, rounds: int) -> dict[str, dict[str, float]]:
    payload = bytes(range(256)) * (size // 256)
    pieces = [payload[i : i + PIECE] for i in range(0, len(payload), PIECE)]
    results = {}
    for name, store in {
        "plaintext": FileBlobStore(root / "plain"),
        "encrypted": EncryptedBlobStore(FileBlobStore(root / "enc"), _Keys()),
    }.items():
        writes, reads = [], []
        for _ in range(rounds):
            key = store.new_key(".wav")
            started = time.perf_counter()
            store.write(key, pieces)
            writes.append(time.perf_counter() - started)
            started = time.perf_counter()
            for _chunk in store.open(key, chunk_size=PIECE):
                pass
            reads.append(time.perf_counter() - started)
            store.delete(key)
        results[name] = {
            "write_mb_s": _mb_per_s(len(payload), writes),
            "read_mb_s": _mb_per_s(len(payload), reads),
        }
    return results


def _ratios(encrypted: dict[str, float], plaintext: dict[str, float]) -> dict[str, float]:
    return {name: round(encrypted[name] / plaintext[name], 2) for name in plaintext if plaintext[name]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=32.0, help="size of each WAV file")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (checks the script, not the speed)")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb, args.files, args.rounds = 1.0, 1, 1
    with tempfile.TemporaryDirectory(prefix="callvault-bench-enc-") as tmp:
        root = Path(tmp)
        seconds = args.size_mb * 1e6 / 32_000  # 16 kHz 16-bit mono
        files = [
            write_wav(root / f"call-{i}.wav", seconds=seconds, sample_rate=16000, channels=1)
            for i in range(args.files)
        ]
        servers = {
            "plaintext": start_server(root / "plain", env_overrides={"CALLVAULT_ENCRYPT_MEDIA": "false"}),
            "encrypted": start_server(root / "enc"),
        }
        try:
            http = {name: _server_side(server, files, args.rounds) for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
        store = _store_side(root / "store", int(args.size_mb * 1e6), args.rounds)
    result = {
        "command": ".venv/bin/python benchmarks/bench_encryption.py " + shlex.join(sys.argv[1:]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "smoke": args.smoke,
        "files": args.files,
        "file_mb": args.size_mb,
        "rounds": args.rounds,
        "target_ratio": TARGET,
        "http": {**http, "encrypted_vs_plaintext": _ratios(http["encrypted"], http["plaintext"])},
        "blob_store": {
            **store,
            "encrypted_vs_plaintext": _ratios(store["encrypted"], store["plaintext"]),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "encryption.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
