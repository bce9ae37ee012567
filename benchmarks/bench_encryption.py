"""Encryption at rest: encrypted vs plaintext ingest and download throughput, side by side in one run.

Two real servers on 127.0.0.1 with their own data dirs, one with CALLVAULT_ENCRYPT_MEDIA=false and
one with the default (encrypted); each ingests the same WAV files over HTTP and downloads them again
(whole, and in 1 MiB ranges, as a player seeks). Also the blob store alone (the encrypting wrapper vs
the bare directory, in process), which isolates the cipher's cost from HTTP's. Target: encrypted
throughput >= 0.7x plaintext's. The two are measured in turns (plaintext, encrypted, plaintext, ...),
medians reported with the server's CPU per MB, and no ratio is given for a section that began on a
busy machine (benchmarks/quiet.py).

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

from quiet import Sections, cpu_seconds, in_turns, median, ratio

from callvault.media.encrypted import EncryptedBlobStore
from callvault.media.files import FileBlobStore
from support.audio_files import write_wav
from support.data_keys import DictKeys
from support.server import LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.7
PIECE = 1 << 20


def _mb_per_s(total_bytes: int, seconds: list[float]) -> float:
    return round(total_bytes / statistics.median(seconds) / 1e6, 1)


def _one_round(server: LiveServer, files: list[Path]) -> dict[str, float]:
    """Ingest the files, download them whole, then in 1 MiB ranges: seconds and server CPU of each."""
    figures: dict[str, float] = {}
    cpu = cpu_seconds(server.process.pid)

    def lap(name: str, started: float) -> None:
        nonlocal cpu
        figures[f"{name}_seconds"] = time.perf_counter() - started
        now = cpu_seconds(server.process.pid)
        figures[f"{name}_server_cpu_seconds"], cpu = now - cpu, now

    started = time.perf_counter()
    created = [server.ingest(f"bench-{uuid.uuid4().hex[:12]}", path) for path in files]
    lap("ingest", started)
    with server.client() as client:
        paths = [
            f"/api/v2/accounts/{server.account_id}/calls/{c['callId']}/recordings/{c['recordingId']}/media"
            for c in created
        ]
        started = time.perf_counter()
        for path in paths:
            with client.stream("GET", path) as response:
                for _chunk in response.iter_bytes(PIECE):
                    pass
        lap("download", started)
        started = time.perf_counter()
        for path, source in zip(paths, files, strict=True):
            size = source.stat().st_size
            for first in range(0, size, PIECE):
                got = client.get(path, headers={"Range": f"bytes={first}-{min(first + PIECE, size) - 1}"})
                assert got.status_code == 206
        lap("ranged", started)
    return figures


def _server_side(servers: dict[str, LiveServer], files: list[Path], rounds: int) -> dict[str, Any]:
    """Each server's median throughput (and server CPU per MB) over rounds taken in turns."""
    total = sum(path.stat().st_size for path in files)
    runs = in_turns(servers, rounds, lambda name: _one_round(servers[name], files))
    summary: dict[str, Any] = {}
    for name, measured in runs.items():
        summary[name] = {}
        for what in ("ingest", "download", "ranged_download"):
            field = what.replace("_download", "")
            summary[name][f"{what}_mb_s"] = _mb_per_s(total, [m[f"{field}_seconds"] for m in measured])
            cpu = median(m[f"{field}_server_cpu_seconds"] for m in measured)
            summary[name][f"{what}_server_cpu_ms_per_mb"] = (
                round(cpu * 1000 / (total / 1e6), 3) if cpu else None
            )
    return summary


def _store_side(root: Path, size: int, rounds: int) -> dict[str, dict[str, float]]:
    payload = bytes(range(256)) * (size // 256)
    pieces = [payload[i : i + PIECE] for i in range(0, len(payload), PIECE)]
    stores = {
        "plaintext": FileBlobStore(root / "plain"),
        "encrypted": EncryptedBlobStore(FileBlobStore(root / "enc"), DictKeys()),
    }

    def write_and_read(name: str) -> tuple[float, float]:
        store = stores[name]
        key = store.new_key(".wav")
        started = time.perf_counter()
        store.write(key, pieces)
        written = time.perf_counter() - started
        started = time.perf_counter()
        for _chunk in store.open(key, chunk_size=PIECE):
            pass
        read = time.perf_counter() - started
        store.delete(key)
        return written, read

    runs = in_turns(stores, rounds, write_and_read)
    return {
        name: {
            "write_mb_s": _mb_per_s(len(payload), [w for w, _ in measured]),
            "read_mb_s": _mb_per_s(len(payload), [r for _, r in measured]),
        }
        for name, measured in runs.items()
    }


def _ratios(figures: dict[str, dict[str, Any]], valid: bool) -> dict[str, float | None]:
    """Encrypted throughput / plaintext's (None for every figure when the machine was busy)."""
    encrypted, plaintext = figures["encrypted"], figures["plaintext"]
    return {
        name: ratio(encrypted[name], plaintext[name], valid=valid) for name in plaintext if "_mb_s" in name
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=32.0, help="size of each WAV file")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (checks the script, not the speed)")
    args = parser.parse_args()
    if args.smoke:
        args.size_mb, args.files, args.rounds = 1.0, 1, 1
    sections = Sections()
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
            sections.start("http")
            http = _server_side(servers, files, args.rounds)
        finally:
            for server in servers.values():
                server.stop()
        sections.start("blob_store")
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
        "machine_state": sections.report(),
        "http": {**http, "encrypted_vs_plaintext": _ratios(http, sections.sections["http"]["valid"])},
        "blob_store": {
            **store,
            "encrypted_vs_plaintext": _ratios(store, sections.sections["blob_store"]["valid"]),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "encryption.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
