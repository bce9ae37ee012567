"""The floor under ingest: the same `curl -F` upload received by a bare socket server that does
nothing but receive the body and SHA-256 it (every stored recording's plaintext is hashed: its ETag,
the migration and encryption checks). No HTTP framework, no multipart parsing, no encryption, no disk.

SHA-256 is one sequential stream (about 1.1-1.3 GB/s with SHA-NI on the 2-core benchmark machines), so
no ingest that keeps the digest runs faster than this; where the disk's durable write is faster still,
the ingest/disk ratio is capped by this figure, not by the disk.
"""

from __future__ import annotations

import hashlib
import shlex
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

_READ_BYTES = 1 << 20


def _receive_and_hash(listener: socket.socket, digest: list[str]) -> None:
    connection, _ = listener.accept()
    with connection:
        head = b""
        while b"\r\n\r\n" not in head:
            got = connection.recv(65536)
            if not got:
                return
            head += got
        headers, _, body_start = head.partition(b"\r\n\r\n")
        pairs = (line.split(b":", 1) for line in headers.split(b"\r\n")[1:] if b":" in line)
        fields = {name.strip().lower(): value.strip() for name, value in pairs}
        if fields.get(b"expect", b"").lower() == b"100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        left = int(fields[b"content-length"]) - len(body_start)
        hasher = hashlib.sha256(body_start)
        buffer = memoryview(bytearray(_READ_BYTES))
        while left > 0:
            received = connection.recv_into(buffer, min(_READ_BYTES, left))
            if not received:
                break
            hasher.update(buffer[:received])
            left -= received
        digest.append(hasher.hexdigest())
        connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def receive_and_hash_speed(source: Path) -> dict[str, Any]:
    """Upload ``source`` with curl, as the ingest benchmark does, to a sink that only receives and
    hashes: MB/s (of the file) and the command."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    digest: list[str] = []
    sink = threading.Thread(target=_receive_and_hash, args=(listener, digest), name="hash-sink")
    sink.start()
    command = ["curl", "-sS", "-F", "metadata={}", "-F", f"media=@{source};type=application/octet-stream"]
    command += ["-o", "/dev/null", "-w", "%{time_total}", f"http://127.0.0.1:{port}/"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    sink.join(timeout=60)
    listener.close()
    if not digest:
        raise RuntimeError("the hash sink received no complete upload")
    return {
        "command": shlex.join(command),
        "what": "a bare socket server that receives the same upload and SHA-256es it, nothing else",
        "mb_per_second": round(source.stat().st_size / 2**20 / float(out), 1),
    }
