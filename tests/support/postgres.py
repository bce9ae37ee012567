"""A PostgreSQL for tests: the machine's own on 127.0.0.1:5432 (trust auth), else a throwaway cluster
started with Debian's binaries on a free port (again on another when that one is taken first), else
None (tests that need it skip with the reason)."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from support.ports import (
    PortChooser,
    PortInUse,
    ServerDidNotStart,
    free_ports,
    log_tail,
    says_port_in_use,
    start_on_free_ports,
)

_SERVER_URL: str | None = None
_WHY_NOT = ""


def _can_connect(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _throwaway_cluster() -> str | None:
    """initdb + pg_ctl as the postgres user, on a free port; stays up until this process exits."""
    global _WHY_NOT
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb or os.geteuid() != 0 or shutil.which("runuser") is None:
        _WHY_NOT = "no PostgreSQL on 127.0.0.1:5432 and no Debian postgresql binaries to start one"
        return None
    try:
        return start_cluster(Path(initdb[-1]).parent)
    except (ServerDidNotStart, subprocess.SubprocessError, OSError) as exc:
        _WHY_NOT = f"could not start a throwaway PostgreSQL: {exc}"
        return None


def start_cluster(bindir: Path, *, choose_ports: PortChooser = free_ports) -> str:
    """A new cluster (trust auth, in a temp directory) on a free loopback port, started again on
    another port when another process takes that one first; stopped and removed when this process
    exits. Its admin conninfo."""
    root = Path(tempfile.mkdtemp(prefix="callvault-pg-"))
    shutil.chown(root, "postgres")
    try:
        _as_postgres(str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
        port = start_on_free_ports(lambda ports: _start_on(bindir, root, ports[0]), choose=choose_ports)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    atexit.register(_remove_cluster, bindir, root)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _as_postgres(*args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=120)


def _start_on(bindir: Path, root: Path, port: int) -> int:
    """`pg_ctl start -w` (it waits for this cluster's own postmaster) on `port`; PortInUse if taken."""
    log = root / f"log-{port}"
    try:
        _as_postgres(
            str(bindir / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-l",
            str(log),
            "-w",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
            "start",
        )
    except subprocess.CalledProcessError as failed:
        output = log_tail(log)
        if says_port_in_use(output):
            raise PortInUse(f"PostgreSQL on port {port}: {output}") from failed
        raise ServerDidNotStart(f"pg_ctl start failed: {failed.stderr!r} {output}") from failed
    return port


def _remove_cluster(bindir: Path, root: Path) -> None:
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
    shutil.rmtree(root, ignore_errors=True)


def server_url() -> str | None:
    """psycopg conninfo of a PostgreSQL admin connection, or None (see why_not())."""
    global _SERVER_URL
    if _SERVER_URL is None:
        local = "postgresql://postgres@127.0.0.1:5432/postgres"
        _SERVER_URL = local if _can_connect(local) else (_throwaway_cluster() or "")
    return _SERVER_URL or None


def why_not() -> str:
    return _WHY_NOT or "PostgreSQL is not reachable"


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new empty database; yields its SQLAlchemy URL (psycopg 3 driver) and drops it afterwards."""
    admin = server_url()
    assert admin is not None, why_not()
    name = f"callvault_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        for _ in range(20):
            try:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.Error:
                time.sleep(0.5)
