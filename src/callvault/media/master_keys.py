"""The server's master keys: the key file (or ``CALLVAULT_MASTER_KEY``) and wrapping data keys with them.

The key file holds one key per line, ``cvmk1:<base64 of 32 bytes>``, the current one first; the lines
after it are older keys a rotation still needs (``#`` lines are comments). It is created on the first
start of an install (mode 0600, created exclusively so two processes starting together agree) and is
re-read when it changes on disk, so a running server sees a rotation. ``CALLVAULT_MASTER_KEY`` gives
the keys instead: base64 keys separated by commas, current first.

A data key is wrapped with AES-256-GCM under the current master key, with the blob key as associated
data (a wrapped key copied to another blob's row does not unwrap). A key's id is the first 16 hex
digits of a SHA-256 over it: it names the key in the database without revealing it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from callvault.media.durable import fsync_dir

KEY_PREFIX = "cvmk1:"
KEY_SIZE = 32
_NONCE = 12


class MasterKeyError(Exception):
    """The master key is missing, malformed, or not the one the data keys need; the text says what to do."""


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    secret: bytes

    @classmethod
    def of(cls, secret: bytes) -> MasterKey:
        if len(secret) != KEY_SIZE:
            raise MasterKeyError(f"a master key is {KEY_SIZE} bytes, this one is {len(secret)}")
        return cls(hashlib.sha256(b"callvault master key id:" + secret).hexdigest()[:16], secret)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls.of(os.urandom(KEY_SIZE))

    def line(self) -> str:
        return KEY_PREFIX + base64.b64encode(self.secret).decode()


def parse_keys(text: str, origin: str) -> list[MasterKey]:
    """Keys from a key file's text (one per line) or the environment variable (comma-separated)."""
    keys = []
    for number, raw in enumerate(text.replace(",", "\n").splitlines(), 1):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        encoded = item.removeprefix(KEY_PREFIX)
        try:
            keys.append(MasterKey.of(base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError, MasterKeyError):
            raise MasterKeyError(
                f"{origin}: entry {number} is not a master key (expected {KEY_PREFIX}<base64 of 32 bytes>)"
            ) from None
    if not keys:
        raise MasterKeyError(f"{origin} holds no master key")
    return keys


def write_key_file(path: Path, keys: Sequence[MasterKey]) -> None:
    """Replace the key file atomically (mode 0600, fsynced), current key first."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    body = "".join(f"{key.line()}\n" for key in keys)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, body.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    fsync_dir(path.parent)


def create_key_file(path: Path) -> bool:
    """Create the key file with a fresh key unless it exists; True when this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = MasterKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, f"{key.line()}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return True


class MasterKeyRing:
    """The loaded master keys; wraps and unwraps data keys. Safe to use from several threads."""

    def __init__(self, keys: Sequence[MasterKey], path: Path | None = None) -> None:
        self._keys = list(keys)
        self._path = path
        self._stamp = _stamp(path) if path else None
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> MasterKeyRing:
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise MasterKeyError(f"the master key file {path} does not exist") from None
        return cls(parse_keys(text, str(path)), path)

    @classmethod
    def from_environment(cls, value: str) -> MasterKeyRing:
        return cls(parse_keys(value, "CALLVAULT_MASTER_KEY"))

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def current(self) -> MasterKey:
        self.refresh()
        return self._keys[0]

    @property
    def keys(self) -> list[MasterKey]:
        """Every loaded key, the current one first."""
        self.refresh()
        return list(self._keys)

    @property
    def key_ids(self) -> list[str]:
        return [key.key_id for key in self.keys]

    def refresh(self) -> None:
        """Re-read the key file when it changed on disk (a rotation in another process)."""
        if self._path is None or _stamp(self._path) == self._stamp:
            return
        with self._lock:
            stamp = _stamp(self._path)
            if stamp != self._stamp and stamp is not None:
                self._keys = parse_keys(self._path.read_text(), str(self._path))
                self._stamp = stamp

    def find(self, key_id: str) -> MasterKey | None:
        for attempt in range(2):
            for key in self._keys:
                if key.key_id == key_id:
                    return key
            if attempt == 0:
                self.refresh()
        return None

    def wrap(self, data_key: bytes, blob_key: str) -> tuple[str, bytes]:
        """-> (the master key's id, the wrapped data key)."""
        key = self.current
        nonce = os.urandom(_NONCE)
        return key.key_id, nonce + AESGCM(key.secret).encrypt(nonce, data_key, _context(blob_key))

    def unwrap(self, key_id: str, wrapped: bytes, blob_key: str) -> bytes:
        key = self.find(key_id)
        if key is None:
            where = self._path or "CALLVAULT_MASTER_KEY"
            raise MasterKeyError(
                f"the data key of {blob_key} is wrapped by master key {key_id}, not in {where}"
            )
        try:
            return AESGCM(key.secret).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _context(blob_key))
        except InvalidTag:
            raise MasterKeyError(f"the wrapped data key of {blob_key} failed its integrity check") from None


def _context(blob_key: str) -> bytes:
    return b"callvault data key:" + blob_key.encode()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino
