"""Load benchmark of issue #11: each target measured beside its anchor in the same run.

Builds an account of --rows recordings by bulk SQL (SQLite, and PostgreSQL where one can run), starts
one `callvault serve` process per database on 127.0.0.1 and its anchors (nginx serving the same bytes,
the Prism mock of the contract, a bare FastAPI app answering callvault's own body), drives them with
wrk and curl, and writes benchmarks/results/load.json: every figure with the command that made it, the
target and the ratio to its anchor. An anchor that cannot start is recorded with the reason; callvault
is measured anyway.

    .venv/bin/python benchmarks/bench_load.py [--rows 1000000] [--seconds 10] [--big-mb 300]
        [--streams 200] [--webhook-jobs 10000] [--skip postgres,live,...] [--source DIR]

--source runs the servers from another checkout's src/ (e.g. main's, for a before/after table).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anchors
import dataset
import httpx
import numpy as np
from anchors.hash_sink import receive_and_hash_speed
from live_streams import run_live_streams
from loadgen import wrk, wrk_available
from quiet import Sections, cpu_seconds, in_turns, median, ratio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from callvault.media.audio import WavWriter
from callvault.media.encrypted import EncryptedBlobStore
from callvault.media.files import FileBlobStore
from callvault.services.notifications import enqueue_webhook
from callvault.store.database import MetadataStore
from callvault.webhooks.delivery import WebhookRequest
from support import postgres
from support.data_keys import DictKeys
from support.receiver import WebhookReceiver
from support.server import ACCOUNT, LiveServer, start_server

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("get", "connections", "list", "media", "webhooks", "live", "postgres")


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every numeric figure of `runs` (wrk results of one contender), and the runs."""
    numeric = [key for key, value in runs[0].items() if isinstance(value, int | float)]
    return {**{key: median(run.get(key) for run in runs) for key in numeric}, "runs": runs}


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextmanager
def _rss_sampler(pid: int) -> Iterator[dict[str, float]]:
    """Samples a process's RSS every 20 ms; yields a dict that holds before/peak/after in MiB."""
    figures = {"rss_before_mib": _rss_mib(pid)}
    peak = [figures["rss_before_mib"]]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_mib(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield figures
    finally:
        done.set()
        sampler.join()
        figures["rss_peak_mib"] = peak[0]
        figures["rss_growth_mib"] = round(peak[0] - figures["rss_before_mib"], 1)


def _basic(server: LiveServer) -> dict[str, str]:
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _sample_row(rows: int) -> int:
    """A row in the middle of the data set (the GET targets)."""
    return rows // 2 + 7


def _recording_path(i: int) -> str:
    call_id, recording_id = dataset.row_ids(i)
    return f"/api/v2/accounts/{ACCOUNT}/calls/{call_id}/recordings/{recording_id}"


def _start_callvault(
    data_dir: Path, database_url: str, rows: int, source: Path | None
) -> tuple[LiveServer, float]:
    """Schema by the server's own `callvault db upgrade`, --rows recordings, then `callvault serve`."""
    env = {**os.environ, "CALLVAULT_DATABASE_URL": database_url, "CALLVAULT_LOG_LEVEL": "info"}
    env["CALLVAULT_JOB_POLL_SECONDS"] = "0.2"  # the default; tests use less
    if source is not None:
        env["PYTHONPATH"] = str(source)
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade = [sys.executable, "-m", "callvault", "db", "upgrade", "--data-dir", str(data_dir)]
    subprocess.run(upgrade, env=env, check=True, capture_output=True)
    store = MetadataStore(database_url)
    started = time.perf_counter()
    dataset.generate_rows(store, ACCOUNT, rows)
    generate_seconds = time.perf_counter() - started
    store.dispose()
    return start_server(data_dir, env_overrides=env), generate_seconds


class Bench:
    """One run: the work directory, the anchors it started, the figures measured so far."""

    def __init__(self, args: argparse.Namespace, work: Path, stack: ExitStack) -> None:
        self.args = args
        self.work = work
        self.stack = stack
        self.anchors: dict[str, anchors.Running | anchors.NotStarted] = {}
        self.results: dict[str, Any] = {}

    def anchor(
        self, name: str, start: Callable[[], anchors.Running | anchors.NotStarted]
    ) -> anchors.Running | None:
        if name not in self.anchors:
            running = start()
            self.anchors[name] = running
            if isinstance(running, anchors.Running):
                self.stack.callback(running.stop)
            else:
                print(f"anchor {name} not started: {running.reason}", file=sys.stderr)
        found = self.anchors[name]
        return found if isinstance(found, anchors.Running) else None

    def wrk(
        self, url: str, headers: dict[str, str] | None = None, pid: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """wrk against `url`; with the serving process's `pid`, also its CPU time per request, a figure
        that other work on the machine disturbs far less than requests per second."""
        options.setdefault("seconds", self.args.seconds)
        cpu_before = cpu_seconds(pid) if pid else 0.0
        measured = wrk(url, headers=headers, **options)
        if pid and measured.get("requests"):
            cpu = cpu_seconds(pid) - cpu_before
            measured["server_cpu_ms_per_request"] = round(cpu * 1000 / measured["requests"], 3)
        return measured

    # -- GET metadata beside Prism, the bare FastAPI app and nginx ---------------------------------

    def get_metadata(self, server: LiveServer, rounds: int = 4) -> dict[str, Any]:
        """callvault and its anchors in turns (callvault, Prism, bare FastAPI, nginx, callvault, ...),
        `rounds` times each; every figure is the median of its runs, with each server's CPU/request."""
        path = _recording_path(_sample_row(self.args.rows))
        body = httpx.get(server.url + path, auth=server.auth).content
        body_file = self.work / "static" / "recording.json"
        body_file.parent.mkdir(exist_ok=True)
        body_file.write_bytes(body)
        prism = self.anchor("prism", lambda: anchors.start_prism(self.work, path.removeprefix("/api/v2")))
        bare = self.anchor("bare_fastapi", lambda: anchors.start_bare_fastapi(body_file, self.work))
        nginx = self.anchor("nginx", lambda: anchors.start_nginx(self.work, self.work))
        contenders: dict[str, tuple[str, dict[str, str], int | None]] = {
            "callvault": (server.url + path, _basic(server), server.process.pid)
        }
        figures: dict[str, Any] = {"body_bytes": len(body), "rounds": rounds}
        for name, running, url_path, headers in (
            ("prism", prism, path.removeprefix("/api/v2"), _basic(server)),
            ("bare_fastapi", bare, path, {}),
            ("nginx_static_file", nginx, "/static/recording.json", {}),
        ):
            if running is None:
                figures[name] = {"not_started": self._why(name)}
                continue
            serving_pid = None if name.startswith("nginx") else running.process.pid  # nginx: workers
            contenders[name] = (running.url + url_path, headers, serving_pid)
        runs = in_turns(
            contenders,
            rounds,
            lambda name: self.wrk(contenders[name][0], contenders[name][1], pid=contenders[name][2]),
        )
        for name, measured in runs.items():
            figures[name] = _medians(measured)
        callvault = figures["callvault"]
        rate = callvault["requests_per_second"]
        figures["ratio_to_prism"] = ratio(rate, figures["prism"].get("requests_per_second"))
        figures["ratio_to_bare_fastapi"] = ratio(rate, figures["bare_fastapi"].get("requests_per_second"))
        cpu = callvault.get("server_cpu_ms_per_request")
        for name in ("prism", "bare_fastapi"):
            anchor_cpu = figures[name].get("server_cpu_ms_per_request")
            figures[f"cpu_per_request_ratio_{name}_to_callvault"] = ratio(anchor_cpu, cpu)
        return figures

    def _why(self, name: str) -> str:
        found = self.anchors.get(name)
        return found.reason if isinstance(found, anchors.NotStarted) else "not started"

    # -- 256 connections ---------------------------------------------------------------------------

    def connections(self, server: LiveServer) -> dict[str, Any]:
        """callvault at 256 connections, and beside it, in turns, the bare FastAPI app (the same server
        stack answering a constant: what uvicorn itself does at 256) and nginx."""
        path = _recording_path(_sample_row(self.args.rows) + 2)
        contenders: dict[str, tuple[str, dict[str, str], int | None]] = {
            "callvault": (server.url + path, _basic(server), server.process.pid)
        }
        for name, url_path in (("bare_fastapi", path), ("nginx", "/static/recording.json")):
            running = self.anchors.get(name)
            if isinstance(running, anchors.Running):
                contenders[name] = (running.url + url_path, {}, None)
        runs = in_turns(
            contenders,
            1,
            lambda name: self.wrk(
                contenders[name][0], contenders[name][1], pid=contenders[name][2], connections=256
            ),
        )
        figures = {name: measured[0] for name, measured in runs.items()}
        return {**figures.pop("callvault"), "anchors_in_turns": figures}

    # -- the filtered list at --rows ---------------------------------------------------------------

    def filtered_list(self, server: LiveServer, database_url: str) -> dict[str, Any]:
        filters = dataset.list_filters(self.args.rows)
        figures: dict[str, Any] = {"rows_in_account": self.args.rows}
        with httpx.Client(base_url=server.url, auth=server.auth, timeout=60) as client:
            for name, query in filters.items():
                url = f"/api/v2/accounts/{ACCOUNT}/recordings" + (f"?{urlencode(query)}" if query else "")
                answered = client.get(url)
                measured = self.wrk(
                    server.url + url,
                    _basic(server),
                    pid=server.process.pid,
                    threads=1,
                    connections=1,
                    seconds=3,
                )
                figures[name] = {"rows_answered": len(answered.json()), **measured}
        store = MetadataStore(database_url)
        try:
            figures["query_plans"] = dataset.query_plans(store, ACCOUNT, filters)
        finally:
            store.dispose()
        return figures

    # -- ingest and download of one big file beside nginx ---------------------------------------

    def media(self, server: LiveServer) -> dict[str, Any]:
        big = self.work / "big.wav"
        _write_wav(big, self.args.big_mb)
        size = big.stat().st_size
        ingest_url = f"{server.url}/ingest/accounts/{ACCOUNT}/calls/c-big/recordings"
        ingest_command = ["curl", "-sS", "-u", f"{server.username}:{server.password}", "-F", "metadata={}"]
        ingest_command += ["-F", f"media=@{big};type=application/octet-stream", "-w", "\n%{time_total}"]
        # the credential checked before: a first check is an argon2 hash (64 MiB for a moment, by
        # design), which is the login's memory, not the upload's
        httpx.get(
            server.url + _recording_path(_sample_row(self.args.rows)), auth=server.auth
        ).raise_for_status()

        def ingest_once() -> dict[str, Any]:
            with _rss_sampler(server.process.pid) as rss:
                out = subprocess.run(
                    [*ingest_command, ingest_url], capture_output=True, text=True, check=True
                ).stdout
            body, _, seconds = out.rpartition("\n")
            return {
                "recording_id": json.loads(body)["recordingId"],
                "seconds": float(seconds),
                "mb_per_second": round(size / 2**20 / float(seconds), 1),
                **rss,
            }

        # three of each in turns: one dd of this virtual disk read 357 MB/s in one run and 1,009 in another
        media_dir = server.data_dir / "media"
        measures: dict[str, Callable[[], dict[str, Any]]] = {
            "ingest": ingest_once,
            "disk": lambda: _durable_write_speed(media_dir, size),
            "store": lambda: _store_write_speed(self.work / "store-only", big),
            "hash_floor": lambda: receive_and_hash_speed(big),
        }
        runs = in_turns(measures, 3, lambda name: measures[name]())
        ingested = runs["ingest"]
        ingest = {
            "command": shlex.join([*ingest_command[:3], "USER:PASS", *ingest_command[4:], ingest_url]),
            "file_mb": round(size / 2**20, 1),
            **_speeds(ingested),
            "rss_before_mib": ingested[0]["rss_before_mib"],
            "rss_peak_mib": max(run["rss_peak_mib"] for run in ingested),
            "rss_growth_mib": max(run["rss_growth_mib"] for run in ingested),
            "disk_durable_write": _speeds(runs["disk"]),
            "store_alone": _speeds(runs["store"]),
            "receive_and_hash_floor": _speeds(runs["hash_floor"]),
        }
        disk_speed = ingest["disk_durable_write"]["mb_per_second"]
        floor_speed = ingest["receive_and_hash_floor"]["mb_per_second"]
        ingest["ratio_to_disk_durable_write"] = ratio(ingest["mb_per_second"], disk_speed)
        ingest["ratio_to_receive_and_hash_floor"] = ratio(ingest["mb_per_second"], floor_speed)
        ingest["floor_ratio_to_disk_durable_write"] = ratio(floor_speed, disk_speed)
        recording = {"recordingId": ingested[-1]["recording_id"]}
        media_path = f"/api/v2/accounts/{ACCOUNT}/calls/c-big/recordings/{recording['recordingId']}/media"
        with _rss_sampler(server.process.pid) as download_rss:
            callvault = _curl_download(server.url + media_path, size, (server.username, server.password))
        download: dict[str, Any] = {"callvault": {**callvault, **download_rss}}
        nginx = self.anchor("nginx", lambda: anchors.start_nginx(self.work, self.work))
        if nginx is None:
            download["nginx"] = {"not_started": self._why("nginx")}
        else:  # the uploaded file itself: the stored blob is encrypted at rest, so larger
            download["nginx"] = _curl_download(f"{nginx.url}/{big.relative_to(self.work)}", size, None)
        download["ratio_to_nginx"] = ratio(callvault["mb_per_second"], download["nginx"].get("mb_per_second"))
        return {"ingest": ingest, "download": download}

    # -- webhooks --------------------------------------------------------------------------------

    def webhooks(self, server: LiveServer) -> dict[str, Any]:
        jobs = self.args.webhook_jobs
        with WebhookReceiver() as receiver:
            store = MetadataStore(server.database_url)
            try:
                started = time.perf_counter()
                with store.write() as conn:
                    for n in range(jobs):
                        hook = WebhookRequest(
                            url=receiver.url(), method="POST", body={"eventType": "bench", "n": n}
                        )
                        enqueue_webhook(conn, hook)
                enqueued = time.perf_counter()
                deadline = enqueued + 600
                while time.perf_counter() < deadline and len(receiver.requests) < jobs:
                    time.sleep(0.1)
                drained = time.perf_counter()
                distinct = {json.loads(r.body)["n"] for r in receiver.requests}
            finally:
                store.dispose()
        return {
            "jobs": jobs,
            "enqueue_seconds": round(enqueued - started, 2),
            "drain_seconds": round(drained - enqueued, 2),
            "jobs_per_second": round(len(distinct) / (drained - enqueued), 1),
            "delivered_distinct": len(distinct),
            "lost": jobs - len(distinct),
            "worker_threads": "CALLVAULT_WORKER_THREADS default (2) inside serve",
        }

    # -- live streams ----------------------------------------------------------------------------

    def live(self, server: LiveServer) -> dict[str, Any]:
        with _rss_sampler(server.process.pid) as rss:
            figures = run_live_streams(
                server.url, server.auth, ACCOUNT, self.args.streams, self.args.stream_seconds
            )
        return {**figures, **rss}

    # -- PostgreSQL ------------------------------------------------------------------------------

    def postgres(self, prism_rate: float | None) -> dict[str, Any]:
        if postgres.server_url() is None:
            return {"not_started": postgres.why_not()}
        database_url = self.stack.enter_context(postgres.fresh_database())
        server, generate_seconds = _start_callvault(
            self.work / "data-postgres", database_url, self.args.rows, self.args.source
        )
        self.stack.callback(server.stop)
        figures: dict[str, Any] = {"generate_seconds": round(generate_seconds, 1)}
        path = _recording_path(_sample_row(self.args.rows))
        contenders = {"callvault": (server.url + path, _basic(server), server.process.pid)}
        prism = self.anchors.get("prism")
        if isinstance(prism, anchors.Running):  # Prism again, in turns with callvault on PostgreSQL
            contenders["prism"] = (
                prism.url + path.removeprefix("/api/v2"),
                _basic(server),
                prism.process.pid,
            )

        def measure(name: str) -> dict[str, Any]:
            url, headers, pid = contenders[name]
            return self.wrk(url, headers, pid=pid)

        runs = {name: _medians(measured) for name, measured in in_turns(contenders, 3, measure).items()}
        get = runs["callvault"]
        anchor_rate = runs["prism"]["requests_per_second"] if "prism" in runs else prism_rate
        figures["get_metadata"] = {
            **get,
            "prism_in_turns": runs.get("prism"),
            "ratio_to_prism": ratio(get["requests_per_second"], anchor_rate),
        }
        figures["filtered_list"] = self.filtered_list(server, database_url)
        return figures


def _write_wav(path: Path, megabytes: int) -> None:
    rng = np.random.default_rng(7)
    frames = rng.integers(-3000, 3000, size=(8000 * 60, 1), dtype=np.int16)
    with path.open("wb") as f:
        writer = WavWriter(f, 8000, 1)
        while f.tell() < megabytes * 2**20:
            writer.write(frames)
        writer.close()


def _speeds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One contender's runs in turns: what it ran (its command, what it is), each run's MB/s, the median."""
    described: dict[str, Any] = {key: runs[0][key] for key in ("command", "what") if key in runs[0]}
    speeds = [run["mb_per_second"] for run in runs]
    return {**described, "runs_mb_per_second": speeds, "mb_per_second": median(speeds)}


def _durable_write_speed(directory: Path, size: int) -> dict[str, Any]:
    """The anchor of ingest: how fast this disk writes `size` bytes and fsyncs them (dd conv=fsync), which
    every stored recording must be (the blob store writes a temp file, fsyncs it, renames it)."""
    target = directory / ".bench-dd"
    command = ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={size // 2**20}", "conv=fsync"]
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    seconds = time.perf_counter() - started
    target.unlink()
    return {"command": shlex.join(command), "mb_per_second": round(size // 2**20 / seconds, 1)}


def _store_write_speed(directory: Path, source: Path) -> dict[str, Any]:
    """Ingest's storage path alone, in this process: the file's bytes in the 256 KiB pieces a socket
    gives, encrypted, hashed and written durably by the server's own blob store (no HTTP, no database):
    what is left of ingest once receiving the request is taken away."""
    store = EncryptedBlobStore(FileBlobStore(directory), DictKeys())

    def pieces() -> Iterator[bytes]:
        with source.open("rb") as media:
            while piece := media.read(256 << 10):
                yield piece

    started = time.perf_counter()
    info = store.write(store.new_key(".wav"), pieces())
    seconds = time.perf_counter() - started
    store.delete(info.key)
    return {
        "what": "EncryptedBlobStore(FileBlobStore).write of the file in 256 KiB pieces, in the bench process",
        "mb_per_second": round(info.size / 2**20 / seconds, 1),
    }


def _curl_download(url: str, size: int, auth: tuple[str, str] | None, runs: int = 3) -> dict[str, Any]:
    """Best of `runs` downloads to /dev/null with curl; checks every byte arrived."""
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"]
    if auth:
        command += ["-u", f"{auth[0]}:{auth[1]}"]
    best = 0.0
    for _ in range(runs):
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout.split()
        if int(out[0]) != size:
            raise RuntimeError(f"{url}: {out[0]} bytes downloaded, expected {size}")
        best = max(best, size / 2**20 / float(out[1]))
    shown = (
        [part if not part.startswith(f"{auth[0]}:") else "USER:PASS" for part in command] if auth else command
    )
    return {"command": shlex.join([*shown, url]), "runs": runs, "mb_per_second": round(best, 1)}


TARGETS = (
    ("GET metadata SQLite: >= 2x Prism", ("get_metadata", "ratio_to_prism"), 2.0),
    ("GET metadata SQLite: >= 0.6x bare FastAPI", ("get_metadata", "ratio_to_bare_fastapi"), 0.6),
    ("GET metadata PostgreSQL: >= 1x Prism", ("postgres", "get_metadata", "ratio_to_prism"), 1.0),
    ("download: >= 50% of nginx", ("media", "download", "ratio_to_nginx"), 0.5),
    ("ingest: >= 500 MB/s", ("media", "ingest", "mb_per_second"), 500.0),
    ("ingest: >= 0.8x the durable disk write", ("media", "ingest", "ratio_to_disk_durable_write"), 0.8),
)
"""(name, where the figure is, its minimum)."""

CEILINGS = (
    (
        "GET metadata SQLite: server CPU <= 0.35 ms/request",
        ("get_metadata", "callvault", "server_cpu_ms_per_request"),
        0.35,
    ),
)
"""(name, where the figure is, its maximum)."""


def _dig(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _verdicts(results: dict[str, Any]) -> dict[str, Any]:
    verdicts: dict[str, Any] = {}
    bounds = [(name, keys, bound, True) for name, keys, bound in TARGETS]
    bounds += [(name, keys, bound, False) for name, keys, bound in CEILINGS]
    for name, keys, bound, at_least in bounds:
        value = _dig(results, keys)
        state = results.get("machine_state", {}).get("sections", {}).get(keys[0], {"valid": True})
        if not state["valid"]:  # measured on a busy machine: no verdict
            verdicts[name] = {"measured": value, "met": None, "invalid": state["invalid_reason"]}
            continue
        met = None if value is None else (value >= bound if at_least else value <= bound)
        verdicts[name] = {"measured": value, "met": met}
    conn = results.get("connections_256")
    if conn:
        errors = sum(conn["socket_errors"].values()) + conn["non_2xx"]
        verdicts["256 connections: 0 errors, p99 <= 250 ms"] = {
            "measured": {"requests": conn["requests"], "errors": errors, "p99_ms": conn["p99_ms"]},
            "met": bool(conn["requests"]) and errors == 0 and (conn["p99_ms"] or 1e9) <= 250,
        }
    list_figures: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("SQLite", ("filtered_list",)),
        ("PostgreSQL", ("postgres", "filtered_list")),
    )
    for label, where in list_figures:
        lists = _dig(results, where) or {}
        p50s = {
            name: found["p50_ms"]
            for name, found in lists.items()
            if isinstance(found, dict) and "p50_ms" in found
        }
        slowest = max(p50s.values(), default=None) if None not in p50s.values() else None
        verdicts[f"list 1,000 of {results['rows']:,}, every filter, {label}: p50 <= 25 ms"] = {
            "measured": p50s or None,
            "met": None if slowest is None else slowest <= 25,
        }
    download = _dig(results, ("media", "download", "callvault", "rss_growth_mib"))
    ingest = _dig(results, ("media", "ingest", "rss_growth_mib"))
    verdicts["RSS flat (growth < 64 MiB) while downloading / ingesting"] = {
        "measured": {"download_growth_mib": download, "ingest_growth_mib": ingest},
        "met": None if download is None or ingest is None else max(download, ingest) < 64,
    }
    live = results.get("live_streams")
    if live:
        verdicts[f"{live['streams']} live streams: no frame later than 100 ms, durations exact"] = {
            "measured": {
                "mark_lag_max_ms": live["mark_lag_max_ms"],
                "exact": f"{live['recordings_with_exact_duration']}/{live['streams']}",
            },
            "met": (live["mark_lag_max_ms"] or 1e9) <= 100
            and live["marks_unanswered"] == 0
            and live["recordings_with_exact_duration"] == live["streams"],
        }
    hooks = results.get("webhooks")
    if hooks:
        verdicts["webhook jobs drained, none lost"] = {
            "measured": {"jobs_per_second": hooks["jobs_per_second"], "lost": hooks["lost"]},
            "met": hooks["lost"] == 0,
        }
    return verdicts


def _write(name: str, results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration of each throughput run")
    parser.add_argument("--big-mb", type=int, default=300)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--stream-seconds", type=float, default=10.0)
    parser.add_argument("--webhook-jobs", type=int, default=10_000)
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {','.join(SECTIONS)}")
    parser.add_argument("--source", type=Path, help="run the servers from this src/ directory")
    parser.add_argument("--output", default="load.json", help="file name under benchmarks/results/")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    if unknown := skip - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if not wrk_available() and (why := anchors.ensure_debian_packages("wrk")):
        sys.exit(f"wrk is needed: {why}")
    results: dict[str, Any] = {
        "command": shlex.join([".venv/bin/python", *sys.argv]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
        "server_source": str(args.source or "this checkout"),
        "rows": args.rows,
    }
    with tempfile.TemporaryDirectory(prefix="callvault-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        os.chmod(work, 0o755)
        bench = Bench(args, work, stack)
        database_url = f"sqlite:///{work / 'data' / 'callvault.sqlite3'}"
        server, generate_seconds = _start_callvault(work / "data", database_url, args.rows, args.source)
        stack.callback(server.stop)
        results["generate_seconds_sqlite"] = round(generate_seconds, 1)
        steps: list[tuple[str, str, Callable[[], Any]]] = [
            ("get", "get_metadata", lambda: bench.get_metadata(server)),
            ("connections", "connections_256", lambda: bench.connections(server)),
            ("list", "filtered_list", lambda: bench.filtered_list(server, database_url)),
            ("media", "media", lambda: bench.media(server)),
            ("webhooks", "webhooks", lambda: bench.webhooks(server)),
            ("live", "live_streams", lambda: bench.live(server)),
            (
                "postgres",
                "postgres",
                lambda: bench.postgres(_dig(results, ("get_metadata", "prism", "requests_per_second"))),
            ),
        ]
        sections = Sections()
        for section, key, step in steps:
            if section in skip:
                continue
            print(f"-- {key}", file=sys.stderr, flush=True)
            sections.start(key)
            results[key] = step()
            results["machine_state"] = sections.report()
            _write(args.output, results)
        results["anchors"] = {
            name: {"command": a.command} if isinstance(a, anchors.Running) else {"not_started": a.reason}
            for name, a in bench.anchors.items()
        }
        results["targets"] = _verdicts(results)
    _write(args.output, results)
    print(json.dumps(results["targets"], indent=2))


if __name__ == "__main__":
    main()
