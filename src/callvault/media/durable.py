"""Making a change to a directory survive a crash: a file created, renamed into place or removed is
only durable once the directory that names it is fsynced too (the file's own fsync covers its bytes,
not its name). Used wherever callvault writes atomically (temp file, fsync, rename): blobs, master
keys, downloaded models."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir"]


def fsync_dir(directory: Path) -> None:
    """Flush `directory`'s entries (the names in it) to the disk."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
