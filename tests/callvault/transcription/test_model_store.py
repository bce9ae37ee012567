"""Assembling the bundled Whisper base model: streamed join, sha256 check, atomic and idempotent."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from callvault.transcription import ModelIntegrityError, ModelNotFound
from callvault.transcription.model_store import (
    DEFAULT_MODEL_SHA256,
    MARKER_NAME,
    ModelSource,
    assemble_model,
    check_model_dir,
    default_model_source,
    is_assembled,
)


def small_source(folder: Path, part_bytes: int = 300_000) -> ModelSource:
    """Two real part files and two extras, with the sha256 of their concatenation."""
    folder.mkdir(parents=True, exist_ok=True)
    first = folder / "model.bin.part1"
    second = folder / "model.bin.part2"
    first.write_bytes(os.urandom(part_bytes))
    second.write_bytes(os.urandom(part_bytes + 17))
    (folder / "config.json").write_text('{"lang_ids": []}')
    (folder / "tokenizer.json").write_text("{}")
    digest = hashlib.sha256(first.read_bytes() + second.read_bytes()).hexdigest()
    return ModelSource(
        name="tiny-test",
        parts=(first, second),
        extras=(folder / "config.json", folder / "tokenizer.json"),
        sha256=digest,
    )


def leftovers(cache: Path, keep: Path) -> list[str]:
    """Entries in ``cache`` other than the published folder and the lock files."""
    return sorted(p.name for p in cache.iterdir() if p != keep and not p.name.endswith(".lock"))


def test_default_source_points_at_the_installed_halves() -> None:
    source = default_model_source()
    assert source.sha256 == DEFAULT_MODEL_SHA256
    assert all(part.is_file() for part in source.parts)
    assert [extra.name for extra in source.extras] == ["config.json", "tokenizer.json", "vocabulary.txt"]
    assert sum(part.stat().st_size for part in source.parts) > 100_000_000


def test_assembly_joins_parts_copies_extras_and_writes_a_marker(tmp_path: Path) -> None:
    source = small_source(tmp_path / "src")
    folder = assemble_model(source, tmp_path / "cache")
    joined = source.parts[0].read_bytes() + source.parts[1].read_bytes()
    assert (folder / "model.bin").read_bytes() == joined
    assert (folder / "tokenizer.json").read_text() == "{}"
    assert json.loads((folder / MARKER_NAME).read_text()) == {"sha256": source.sha256, "size": len(joined)}
    assert is_assembled(folder, source)
    assert leftovers(tmp_path / "cache", folder) == []


def test_assembly_is_idempotent_and_does_not_rewrite(tmp_path: Path) -> None:
    source = small_source(tmp_path / "src")
    cache = tmp_path / "cache"
    folder = assemble_model(source, cache)
    inode = (folder / "model.bin").stat().st_ino
    for part in source.parts:  # a second call must not even read the parts
        part.unlink()
    assert assemble_model(source, cache) == folder
    assert (folder / "model.bin").stat().st_ino == inode


def test_a_damaged_assembly_is_rebuilt(tmp_path: Path) -> None:
    source = small_source(tmp_path / "src")
    cache = tmp_path / "cache"
    folder = assemble_model(source, cache)
    with (folder / "model.bin").open("r+b") as f:
        f.truncate(1000)
    assert not is_assembled(folder, source)
    assert assemble_model(source, cache) == folder
    assert (folder / "model.bin").stat().st_size == sum(p.stat().st_size for p in source.parts)


def test_corrupted_real_part_fails_the_sha256_check_and_publishes_nothing(tmp_path: Path) -> None:
    real = default_model_source()
    damaged = tmp_path / "model.bin.part1"
    shutil.copyfile(real.parts[0], damaged)
    with damaged.open("r+b") as f:
        f.seek(5_000_000)
        byte = f.read(1)
        f.seek(5_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    source = ModelSource(real.name, (damaged, real.parts[1]), real.extras, real.sha256)
    cache = tmp_path / "cache"
    with pytest.raises(
        ModelIntegrityError, match=f"sha256 [0-9a-f]{{64}}, expected {DEFAULT_MODEL_SHA256}"
    ) as info:
        assemble_model(source, cache)
    assert info.value.status == "error"
    assert not (cache / source.folder_name).exists()
    assert leftovers(cache, cache / source.folder_name) == []


def test_concurrent_processes_assemble_one_intact_copy(tmp_path: Path) -> None:
    source = small_source(tmp_path / "src", part_bytes=8_000_000)
    cache = tmp_path / "cache"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from callvault.transcription.model_store import ModelSource, assemble_model
        source = ModelSource({source.name!r}, {tuple(str(p) for p in source.parts)!r},
                             {tuple(str(p) for p in source.extras)!r}, {source.sha256!r})
        source = ModelSource(source.name, tuple(map(Path, source.parts)), tuple(map(Path, source.extras)),
                             source.sha256)
        print(assemble_model(source, Path({str(cache)!r})))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=120)[0].strip() for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4
    folder = cache / source.folder_name
    assert set(outputs) == {str(folder)}
    assert hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest() == source.sha256
    assert leftovers(cache, folder) == []


def test_user_model_folder_must_hold_model_files(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="does not exist"):
        check_model_dir(tmp_path / "nowhere")
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelNotFound, match="config.json, tokenizer.json"):
        check_model_dir(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert check_model_dir(tmp_path) == tmp_path
