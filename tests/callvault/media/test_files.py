"""FileBlobStore and the blob-store rules every backend shares (keys, ranges, atomic writes)."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest

from callvault.media import files
from callvault.media.blobstore import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    Chunk,
    InvalidBlobKey,
    new_blob_key,
    validate_key,
)
from callvault.media.files import FileBlobStore
from callvault.media.store_url import open_blob_store

BAD_KEYS = [
    "",
    "../escape.wav",
    "a/../../escape.wav",
    "a/../b.wav",
    "/etc/passwd",
    "a//b.wav",
    "a/./b.wav",
    ".hidden",
    "a/.tmp-x.part",
    "a/",
    "/",
    "..",
    "Upper.wav",
    "a b.wav",
    "a\\b.wav",
    "a\x00b",
    "caf\u00e9.wav",
    "x" * 600,
]


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def read_all(store: BlobStore, key: str, **kwargs: int | None) -> bytes:
    return b"".join(store.open(key, **kwargs))  # type: ignore[arg-type]


class Boom(RuntimeError):
    pass


def failing_chunks(good: int, chunk: bytes = b"x" * 1000) -> Iterator[bytes]:
    for _ in range(good):
        yield chunk
    raise Boom("the upload broke off")


# ------------------------------------------------------------------------------------------ keys


def test_new_key_is_random_two_level_and_keeps_the_suffix() -> None:
    keys = {new_blob_key(".wav") for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.wav", key)
        assert key[:2] == key[6:8] and key[3:5] == key[8:10]
    assert new_blob_key("mp3").endswith(".mp3")
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}", new_blob_key(""))


@pytest.mark.parametrize("suffix", ["../x", "/wav", ".WAV", ". wav", "wav/..", ".."])
def test_new_key_rejects_suffixes_that_could_change_the_path(suffix: str) -> None:
    with pytest.raises(InvalidBlobKey):
        new_blob_key(suffix)


@pytest.mark.parametrize("key", ["a", "ab/cd/0123abcd.wav", "recordings/2024-01-01/x_y-z.mp3", "a/b/c/d.e.f"])
def test_valid_keys_pass(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        validate_key(key)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_never_reach_outside_the_root(tmp_path: Path, key: str) -> None:
    root = tmp_path / "inside" / "blobs"
    store = FileBlobStore(root)
    outside_before = all_files(tmp_path)
    with pytest.raises(InvalidBlobKey):
        store.write(key, [b"evil"])
    for call in (store.open, store.size, store.exists, store.delete, store.local_path):
        with pytest.raises(InvalidBlobKey):
            call(key)  # type: ignore[operator]
    assert all_files(tmp_path) == outside_before == []


# ---------------------------------------------------------------------------------------- writes


def test_write_then_read_back(file_store: FileBlobStore) -> None:
    key = file_store.new_key(".wav")
    chunks = [os.urandom(1000), b"", os.urandom(70_000), os.urandom(1)]
    body = b"".join(chunks)
    info = file_store.write(key, iter(chunks))
    assert info == BlobInfo(key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest())
    assert read_all(file_store, key) == body
    assert file_store.size(key) == len(body)
    assert file_store.exists(key)
    assert file_store.local_path(key) == file_store.root / key
    assert (file_store.root / key).read_bytes() == body


def test_empty_blob(file_store: FileBlobStore) -> None:
    info = file_store.write("empty.bin", [])
    assert info.size == 0 and info.sha256 == hashlib.sha256(b"").hexdigest()
    assert read_all(file_store, "empty.bin") == b""
    assert read_all(file_store, "empty.bin", start=0, end=10) == b""


def test_a_write_that_raises_midway_leaves_no_file_and_no_temp(file_store: FileBlobStore) -> None:
    key = file_store.new_key(".wav")
    with pytest.raises(Boom):
        file_store.write(key, failing_chunks(good=50))
    assert not file_store.exists(key)
    assert all_files(file_store.root) == []


def test_a_failed_overwrite_keeps_the_old_blob_whole(file_store: FileBlobStore) -> None:
    file_store.write("a/keep.bin", [b"old content"])
    with pytest.raises(Boom):
        file_store.write("a/keep.bin", failing_chunks(good=3))
    assert read_all(file_store, "a/keep.bin") == b"old content"
    assert all_files(file_store.root) == ["a/keep.bin"]


def test_max_size_overflow_raises_and_leaves_nothing(file_store: FileBlobStore) -> None:
    with pytest.raises(BlobTooLarge) as raised:
        file_store.write("big.bin", [b"x" * 600, b"x" * 600], max_size=1000)
    assert raised.value.max_size == 1000
    assert all_files(file_store.root) == []


def test_max_size_is_inclusive(file_store: FileBlobStore) -> None:
    assert file_store.write("exact.bin", [b"x" * 400, b"x" * 600], max_size=1000).size == 1000


def test_overwrite_replaces_content(file_store: FileBlobStore) -> None:
    file_store.write("k.bin", [b"first"])
    file_store.write("k.bin", [b"second, longer"])
    assert read_all(file_store, "k.bin") == b"second, longer"


def test_concurrent_writers_and_readers_see_whole_blobs_only(file_store: FileBlobStore) -> None:
    bodies = [bytes([n]) * 300_000 for n in range(6)]
    file_store.write("shared.bin", [bodies[0]])
    seen: list[bytes] = []
    errors: list[BaseException] = []

    def writer(body: bytes) -> None:
        try:
            file_store.write("shared.bin", (body[i : i + 4096] for i in range(0, len(body), 4096)))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def reader() -> None:
        for _ in range(20):
            seen.append(read_all(file_store, "shared.bin"))

    threads = [threading.Thread(target=writer, args=(b,)) for b in bodies[1:]]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(body in bodies for body in seen)
    assert read_all(file_store, "shared.bin") in bodies
    assert all_files(file_store.root) == ["shared.bin"]


# ----------------------------------------------------------------------------------------- reads

BODY = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def stored(file_store: FileBlobStore) -> tuple[FileBlobStore, str]:
    key = file_store.new_key(".bin")
    file_store.write(key, [BODY])
    return file_store, key


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, BODY[:1]),
        (len(BODY) - 1, len(BODY) - 1, BODY[-1:]),
        (len(BODY) - 1, None, BODY[-1:]),
        (1000, 4999, BODY[1000:5000]),
        (0, None, BODY),
        (0, len(BODY) - 1, BODY),
        (5000, None, BODY[5000:]),
        (100, 10**9, BODY[100:]),
        (len(BODY), None, b""),
        (len(BODY) + 50, len(BODY) + 60, b""),
    ],
    ids=[
        "first",
        "last",
        "last-open",
        "middle",
        "whole",
        "whole-explicit",
        "tail",
        "end-past-size",
        "at-end",
        "past",
    ],
)
def test_ranges(stored: tuple[FileBlobStore, str], start: int, end: int | None, expected: bytes) -> None:
    store, key = stored
    assert read_all(store, key, start=start, end=end) == expected


def test_reads_stream_in_chunks(stored: tuple[FileBlobStore, str]) -> None:
    store, key = stored
    chunks = list(store.open(key, start=10, end=9009, chunk_size=1024))
    assert [len(c) for c in chunks] == [1024] * 8 + [808]
    assert b"".join(chunks) == BODY[10:9010]


@pytest.mark.parametrize(("start", "end", "chunk_size"), [(-1, None, 10), (10, 9, 10), (0, None, 0)])
def test_nonsense_ranges_are_rejected(
    stored: tuple[FileBlobStore, str], start: int, end: int | None, chunk_size: int
) -> None:
    store, key = stored
    with pytest.raises(ValueError):
        store.open(key, start=start, end=end, chunk_size=chunk_size)


def test_missing_blob(file_store: FileBlobStore) -> None:
    key = file_store.new_key(".wav")
    with pytest.raises(BlobNotFound) as raised:
        file_store.open(key)  # raised at the call, before iterating
    assert raised.value.key == key and key in str(raised.value)
    with pytest.raises(BlobNotFound):
        file_store.size(key)
    assert not file_store.exists(key)
    file_store.write("dir/x.bin", [b"1"])
    with pytest.raises(BlobNotFound):
        file_store.open("dir")  # a directory is not a blob
    assert not file_store.exists("dir")


def test_delete_is_idempotent(stored: tuple[FileBlobStore, str]) -> None:
    store, key = stored
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)
    store.delete("never/was.bin")
    assert all_files(store.root) == []


def test_keys_lists_blobs_but_not_temp_or_foreign_files(file_store: FileBlobStore) -> None:
    written = sorted(file_store.write(file_store.new_key(".wav"), [b"a"]).key for _ in range(5))
    file_store.write("plain.mp3", [b"b"])
    leftover = file_store.root / written[0].rsplit("/", 1)[0] / ".tmp-crashed.part"
    leftover.write_bytes(b"half a write")
    (file_store.root / "Foreign File.TXT").write_bytes(b"not ours")
    assert sorted(file_store.keys()) == sorted([*written, "plain.mp3"])
    assert {entry.key: entry.size for entry in file_store.entries()} == {
        key: 1 for key in [*written, "plain.mp3"]
    }


def test_partial_writes_older_than_the_cut_off_are_removed(file_store: FileBlobStore) -> None:
    key = file_store.write(file_store.new_key(".wav"), [b"a"]).key
    directory = file_store.root / key.rsplit("/", 1)[0]
    stale = directory / ".tmp-crashed.part"
    stale.write_bytes(b"half a write")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fresh = directory / ".tmp-writing.part"
    fresh.write_bytes(b"a write in progress")
    cut_off = datetime.now(UTC) - timedelta(minutes=10)

    [seen] = file_store.remove_partial_writes(cut_off, dry_run=True)
    assert seen.name == f"{key.rsplit('/', 1)[0]}/.tmp-crashed.part" and seen.size == 12
    assert stale.exists()
    assert file_store.remove_partial_writes(cut_off) == [seen]
    assert not stale.exists() and fresh.exists() and file_store.exists(key)


def test_file_store_is_a_blob_store(file_store: FileBlobStore) -> None:
    assert isinstance(file_store, BlobStore)


# ------------------------------------------------------------------------------------- the factory


def test_open_blob_store_file_url(tmp_path: Path) -> None:
    store = open_blob_store((tmp_path / "media").as_uri())
    assert isinstance(store, FileBlobStore)
    assert store.root == (tmp_path / "media").resolve()
    assert store.root.is_dir()


def test_open_blob_store_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = open_blob_store(str(tmp_path / "abs"))
    assert isinstance(absolute, FileBlobStore) and absolute.root == (tmp_path / "abs").resolve()
    monkeypatch.chdir(tmp_path)
    relative = open_blob_store("rel/media")
    assert isinstance(relative, FileBlobStore) and relative.root == (tmp_path / "rel" / "media").resolve()


@pytest.mark.parametrize("url", ["", "ftp://host/dir", "s3://", "s3:///prefix", "file://otherhost/dir"])
def test_open_blob_store_rejects_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        open_blob_store(url)


def test_a_write_of_many_mib_in_odd_pieces_reads_back_whole(file_store: FileBlobStore) -> None:
    """Writes of a MiB are made by a writer thread behind the producer: order and bytes are kept."""
    pieces = [os.urandom(size) for size in (1, 65_564, 1 << 20, 3 * (1 << 20) + 7, 999_999, 12)] * 2
    body = b"".join(pieces)
    key = file_store.new_key(".bin")
    info = file_store.write(key, iter(pieces))
    assert info == BlobInfo(key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest())
    assert (file_store.root / key).read_bytes() == body
    assert file_store.write(key, iter(pieces), digest=False) == BlobInfo(key=key, size=len(body), sha256="")


def test_a_write_that_fails_after_some_mib_leaves_no_file_and_no_temp(file_store: FileBlobStore) -> None:
    def mib_then_boom() -> Iterator[bytes]:
        for _ in range(9):
            yield os.urandom(1 << 19)
        raise Boom

    key = file_store.new_key(".wav")
    with pytest.raises(Boom):
        file_store.write(key, mib_then_boom())
    with pytest.raises(BlobTooLarge):
        file_store.write(key, mib_then_boom(), max_size=3 << 20)
    assert all_files(file_store.root) == []


def test_a_large_blob_is_made_durable_behind_its_writes_and_leaves_the_cache(
    file_store: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past FLUSH_BEHIND_BYTES a flusher fdatasyncs what is written while later MiB are still being
    produced, then drops exactly that from the page cache; the blob on disk is whole and in order."""
    flushed = threading.Event()
    dropped: list[int] = []
    real_sync = files._sync_data

    def sync_seen(fd: int) -> None:
        real_sync(fd)
        flushed.set()

    def drop_seen(fd: int, offset: int, length: int, advice: int) -> None:
        assert (offset, advice) == (0, os.POSIX_FADV_DONTNEED)
        assert os.fstat(fd).st_size >= length
        dropped.append(length)

    monkeypatch.setattr(files, "_sync_data", sync_seen)
    monkeypatch.setattr(files, "_drop_from_cache", drop_seen)
    mib = files.FLUSH_BEHIND_BYTES >> 20
    flushed_while_producing = []

    def pieces() -> Iterator[bytes]:
        for index in range(3 * mib):
            if index == 2 * mib:  # the write is not done: the producer is still here
                flushed_while_producing.append(flushed.wait(timeout=60))
            yield bytes([index % 251]) * (1 << 20)

    key = file_store.new_key(".bin")
    assert file_store.write(key, pieces()).size == 3 * mib << 20
    assert flushed_while_producing == [True]
    assert dropped and all(length >= mib << 20 and length % (1 << 20) == 0 for length in dropped)
    with (file_store.root / key).open("rb") as stored:
        for index in range(3 * mib):
            assert stored.read(1 << 20) == bytes([index % 251]) * (1 << 20)


def test_a_small_blob_is_never_flushed_behind(
    file_store: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_flush_behind(fd: int) -> None:
        raise AssertionError("flushed behind")

    monkeypatch.setattr(files, "_sync_data", no_flush_behind)
    pieces = [os.urandom(1 << 20) for _ in range((files.FLUSH_BEHIND_BYTES >> 20) - 1)]
    info = file_store.write(file_store.new_key(".bin"), iter(pieces))
    assert info.size == sum(map(len, pieces))


def test_a_flush_behind_that_fails_fails_the_write_and_leaves_nothing(
    file_store: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_error(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files, "_sync_data", disk_error)
    pieces = (os.urandom(1 << 20) for _ in range(3 * files.FLUSH_BEHIND_BYTES >> 20))
    key = file_store.new_key(".bin")
    with pytest.raises(OSError) as raised:
        file_store.write(key, pieces)
    assert raised.value.errno == errno.EIO
    assert not file_store.exists(key)
    assert all_files(file_store.root) == []


def test_pieces_of_a_mib_or_more_are_written_as_they_are(
    file_store: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large piece goes to the writer thread itself, not copied; smaller ones are gathered first."""
    written: list[int] = []
    real_write_all = files._write_all

    def seen(out: BinaryIO, data: Chunk) -> None:
        written.append(id(data))
        real_write_all(out, data)

    monkeypatch.setattr(files, "_write_all", seen)
    large = [bytearray(os.urandom((1 << 20) + extra)) for extra in (0, 1, 28)]
    small = [os.urandom(1000) for _ in range(3)]
    file_store.write(file_store.new_key(".bin"), iter([*large, *small]))
    assert written[:3] == [id(piece) for piece in large]
    assert len(written) == 4
