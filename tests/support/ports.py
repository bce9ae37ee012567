"""Servers on loopback ports chosen here, started again on other ports when another process wins one.

A port found free (bound to port 0, read back, released) can be taken by any process before the server
binds it: another test run's server, or an outgoing connection given it as its ephemeral port. Every
test server (callvault, SIP listeners, SeaweedFS, PostgreSQL, Redis) is started through
:func:`start_on_free_ports`, which picks fresh ports and starts again when a start raises
:class:`PortInUse`; the starters raise it when the server says its address is in use
(:func:`says_port_in_use`). :func:`wait_until_serving` is their shared wait: it also makes sure the
process that answers is the one started (:func:`listens_on`), not a server that won the port.

    server = start_on_free_ports(lambda ports: launch(port=ports[0]), count=1)

A test injects ``choose`` (a :data:`PortChooser`) to make the first pick a port it holds.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = [
    "ATTEMPTS",
    "PortChooser",
    "PortInUse",
    "ServerDidNotStart",
    "free_port",
    "free_ports",
    "listens_on",
    "log_tail",
    "raise_if_address_in_use",
    "says_port_in_use",
    "start_on_free_ports",
    "wait_until_serving",
]

ATTEMPTS = 5
"""Starts on fresh ports before giving up; a lost race is rare, five in a row means something else."""

PortChooser = Callable[[int], list[int]]
"""count -> that many distinct ports to start a server on."""

T = TypeVar("T")

_IN_USE = re.compile(
    r"address already in use"  # EADDRINUSE as uvicorn, asyncio, Redis and PostgreSQL print it
    r"|port allocation failed"  # weed mini: "Port allocation failed: port N for Master ... is not available"
    r"|could not bind",  # PostgreSQL: could not bind IPv4 address "127.0.0.1"
    re.IGNORECASE,
)


class ServerDidNotStart(RuntimeError):
    """A test server exited or did not answer in time; the text says why (with its log's end)."""


class PortInUse(ServerDidNotStart):
    """The server could not listen on a port it was given: another process took it first."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback TCP ports that were free a moment ago (all bound at once, released)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    """One port that was free a moment ago: for a client's own port, or a URL nothing should serve.
    A server started on it must go through :func:`start_on_free_ports`."""
    return free_ports(1)[0]


def start_on_free_ports(
    start: Callable[[list[int]], T],
    count: int = 1,
    *,
    choose: PortChooser = free_ports,
    attempts: int = ATTEMPTS,
) -> T:
    """``start(ports)`` on ``count`` ports from ``choose``; on :class:`PortInUse`, again on new ones.

    ``start`` must leave nothing running when it raises. Any other error is not retried.
    """
    lost: list[str] = []
    for _ in range(attempts):
        try:
            return start(choose(count))
        except PortInUse as error:
            lost.append(str(error))
    raise PortInUse(f"{attempts} starts in a row lost a port to another process; last: {lost[-1]}")


def says_port_in_use(text: str) -> bool:
    """Whether a server's output says it could not listen because its address is taken."""
    return _IN_USE.search(text) is not None


def raise_if_address_in_use(error: OSError, what: str) -> None:
    """:class:`PortInUse` for an in-process listener whose bind failed with EADDRINUSE."""
    if error.errno == errno.EADDRINUSE:
        raise PortInUse(f"{what}: {error}") from error


def log_tail(log: Path, size: int = 2000, *, offset: int = 0) -> str:
    """The last ``size`` characters the log got after its first ``offset`` bytes."""
    try:
        with log.open("rb") as file:
            file.seek(max(offset, file.seek(0, os.SEEK_END) - 4 * size))
            return file.read().decode(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def wait_until_serving(
    process: subprocess.Popen[bytes],
    log: Path,
    answers: Callable[[], bool],
    *,
    port: int,
    what: str,
    timeout: float,
    log_offset: int = 0,
) -> None:
    """Poll until ``answers()`` and ``process`` itself listens on ``port``.

    Raises :class:`PortInUse` when the log (what it got after ``log_offset`` bytes) says the port was
    taken (the process may linger: the caller stops it), :class:`ServerDidNotStart` when the process
    exits or time runs out.
    """
    deadline = time.monotonic() + timeout
    while True:
        output = log_tail(log, 1 << 14, offset=log_offset)
        if says_port_in_use(output):
            raise PortInUse(f"{what} could not listen: {output[-1500:]}")
        if process.poll() is not None:
            raise ServerDidNotStart(f"{what} exited with {process.returncode}: {output[-1500:]}")
        if answers() and listens_on(process.pid, port):
            return
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"{what} did not answer within {timeout:.0f} s: {output[-1500:]}")
        time.sleep(0.1)


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` (or a process it started) holds the TCP socket listening on ``port``.

    Read from /proc; where there is none (not Linux) the answer is True, as nothing can be checked.
    """
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return True
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(tables, port)}
    return bool(inodes) and any(_holds_any(process, inodes) for process in _with_descendants(pid))


def _listening_inodes(tables: list[Path], port: int) -> set[str]:
    listening = "0A"
    inodes = set()
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _with_descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def _holds_any(pid: int, sockets: set[str]) -> bool:
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(f"/proc/{pid}/fd/{descriptor}") in sockets:
                return True
        except OSError:
            continue
    return False
