"""S3BlobStore against a real SeaweedFS S3 server on 127.0.0.1 (skipped when `weed` cannot run)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callvault.media.blobstore import BlobInfo, BlobNotFound, BlobStore, BlobTooLarge, InvalidBlobKey
from callvault.media.s3 import PART_SIZE, S3BlobStore
from callvault.media.store_url import open_blob_store
from support.seaweed import SeaweedS3

PREFIX = "recordings"


class Boom(RuntimeError):
    pass


@pytest.fixture
def s3_client(seaweed_s3: SeaweedS3) -> Any:
    return seaweed_s3.client()


@pytest.fixture
def s3_store(s3_client: Any, s3_bucket: str) -> S3BlobStore:
    store = S3BlobStore(s3_bucket, PREFIX, client=s3_client)
    store.ensure_bucket()
    return store


def object_keys(client: Any, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def open_uploads(client: Any, bucket: str) -> list[Any]:
    return list(client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) or [])


def read_all(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(store.open(key, start=start, end=end))


def megabyte_chunks(total: int, seed: int = 0) -> Iterator[bytes]:
    block = hashlib.sha256(str(seed).encode()).digest() * (1 << 15)  # 1 MiB, deterministic
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def test_ensure_bucket_creates_once_and_is_idempotent(s3_client: Any, s3_bucket: str) -> None:
    store = S3BlobStore(s3_bucket, PREFIX, client=s3_client)
    store.ensure_bucket()
    store.ensure_bucket()
    names = [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    assert s3_bucket in names


def test_small_write_read_under_the_prefix(s3_store: S3BlobStore, s3_client: Any) -> None:
    key = s3_store.new_key(".wav")
    body = os.urandom(70_001)
    info = s3_store.write(key, [body[:1], body[1:50_000], b"", body[50_000:]])
    assert info == BlobInfo(key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest())
    assert object_keys(s3_client, s3_store.bucket) == [f"{PREFIX}/{key}"]
    assert read_all(s3_store, key) == body
    assert s3_store.size(key) == len(body)
    assert s3_store.exists(key)
    assert s3_store.local_path(key) is None


def test_multipart_write_of_more_than_one_part(s3_store: S3BlobStore) -> None:
    total = PART_SIZE * 2 + 123_457  # three parts, the last one short
    expected = hashlib.sha256(b"".join(megabyte_chunks(total))).hexdigest()
    info = s3_store.write("big/call.wav", megabyte_chunks(total))
    assert (info.size, info.sha256) == (total, expected)
    assert s3_store.size("big/call.wav") == total
    digest = hashlib.sha256()
    for chunk in s3_store.open("big/call.wav", chunk_size=1 << 20):
        assert len(chunk) <= 1 << 20
        digest.update(chunk)
    assert digest.hexdigest() == expected
    across_boundary = read_all(s3_store, "big/call.wav", PART_SIZE - 10, PART_SIZE + 9)
    assert across_boundary == b"".join(megabyte_chunks(total))[PART_SIZE - 10 : PART_SIZE + 10]


def test_exact_multiple_of_the_part_size(s3_store: S3BlobStore) -> None:
    info = s3_store.write("exact.bin", megabyte_chunks(PART_SIZE))
    assert info.size == PART_SIZE == s3_store.size("exact.bin")


BODY = bytes(range(256)) * 40


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, BODY[:1]),
        (len(BODY) - 1, len(BODY) - 1, BODY[-1:]),
        (1000, 4999, BODY[1000:5000]),
        (0, None, BODY),
        (5000, None, BODY[5000:]),
        (100, 10**9, BODY[100:]),
        (len(BODY), None, b""),
    ],
    ids=["first", "last", "middle", "whole", "tail", "end-past-size", "at-end"],
)
def test_ranges(s3_store: S3BlobStore, start: int, end: int | None, expected: bytes) -> None:
    s3_store.write("r.bin", [BODY])
    assert read_all(s3_store, "r.bin", start, end) == expected


def test_missing_and_delete(s3_store: S3BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        s3_store.open("no/such.wav")
    with pytest.raises(BlobNotFound):
        s3_store.size("no/such.wav")
    assert not s3_store.exists("no/such.wav")
    s3_store.write("gone.wav", [b"data"])
    s3_store.delete("gone.wav")
    s3_store.delete("gone.wav")
    assert not s3_store.exists("gone.wav")


def test_failed_multipart_write_is_aborted(s3_store: S3BlobStore, s3_client: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield from megabyte_chunks(PART_SIZE + (1 << 20))  # one part uploaded, one buffered
        raise Boom("the caller hung up")

    with pytest.raises(Boom):
        s3_store.write("aborted.wav", chunks())
    assert object_keys(s3_client, s3_store.bucket) == []
    assert open_uploads(s3_client, s3_store.bucket) == []


def test_failed_small_write_stores_nothing(s3_store: S3BlobStore, s3_client: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"x" * 1000
        raise Boom("early failure")

    with pytest.raises(Boom):
        s3_store.write("small.wav", chunks())
    assert object_keys(s3_client, s3_store.bucket) == []


def test_max_size_overflow_aborts_and_stores_nothing(s3_store: S3BlobStore, s3_client: Any) -> None:
    with pytest.raises(BlobTooLarge):
        s3_store.write("huge.wav", megabyte_chunks(PART_SIZE * 2), max_size=PART_SIZE + 5)
    assert object_keys(s3_client, s3_store.bucket) == []
    assert open_uploads(s3_client, s3_store.bucket) == []


def test_a_failed_overwrite_keeps_the_old_object(s3_store: S3BlobStore) -> None:
    s3_store.write("keep.wav", [b"old"])
    with pytest.raises(BlobTooLarge):
        s3_store.write("keep.wav", [b"new and far too long"], max_size=4)
    assert read_all(s3_store, "keep.wav") == b"old"


def test_keys_lists_only_this_prefix(s3_store: S3BlobStore, s3_client: Any) -> None:
    written = sorted(s3_store.write(s3_store.new_key(".mp3"), [b"m"]).key for _ in range(3))
    s3_client.put_object(Bucket=s3_store.bucket, Key="elsewhere/x.wav", Body=b"not ours")
    s3_client.put_object(Bucket=s3_store.bucket, Key=f"{PREFIX}/Bad Key.WAV", Body=b"foreign")
    assert sorted(s3_store.keys()) == written


def test_invalid_keys_never_reach_the_bucket(s3_store: S3BlobStore, s3_client: Any) -> None:
    for key in ("../other-prefix/x.wav", "/abs.wav", "a/../../b.wav", "A.wav"):
        with pytest.raises(InvalidBlobKey):
            s3_store.write(key, [b"x"])
        with pytest.raises(InvalidBlobKey):
            s3_store.open(key)
    assert object_keys(s3_client, s3_store.bucket) == []


def test_open_blob_store_s3_url_uses_the_aws_environment(
    seaweed_s3: SeaweedS3, s3_bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in seaweed_s3.env().items():
        monkeypatch.setenv(name, value)
    store = open_blob_store(f"s3://{s3_bucket}/media/v1/")
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (s3_bucket, "media/v1")
    assert isinstance(store, BlobStore)
    store.write("ab/cd/x.wav", [b"RIFF"])
    assert object_keys(s3_client, s3_bucket) == ["media/v1/ab/cd/x.wav"]


def test_store_without_prefix(s3_client: Any, s3_bucket: str) -> None:
    store = S3BlobStore(s3_bucket, "", client=s3_client)
    store.ensure_bucket()
    store.write("top.wav", [b"1"])
    assert object_keys(s3_client, s3_bucket) == ["top.wav"]
    assert list(store.keys()) == ["top.wav"]


def test_an_abandoned_multipart_upload_is_aborted_once_old_enough(
    s3_store: S3BlobStore, s3_client: Any
) -> None:
    object_key = f"{PREFIX}/ab/cd/killed-mid-upload.wav"
    created = s3_client.create_multipart_upload(Bucket=s3_store.bucket, Key=object_key)
    s3_client.upload_part(
        Bucket=s3_store.bucket, Key=object_key, UploadId=created["UploadId"], PartNumber=1, Body=b"x" * 1024
    )
    assert s3_store.remove_partial_writes(datetime.now(UTC) - timedelta(hours=1)) == []
    later = datetime.now(UTC) + timedelta(seconds=5)
    [seen] = s3_store.remove_partial_writes(later, dry_run=True)
    assert seen.name == f"ab/cd/killed-mid-upload.wav#{created['UploadId']}"
    assert len(open_uploads(s3_client, s3_store.bucket)) == 1
    assert s3_store.remove_partial_writes(later) == [seen]
    assert open_uploads(s3_client, s3_store.bucket) == []
    assert s3_store.write("ab/cd/after.wav", [b"1"]).size == 1
    assert [entry.key for entry in s3_store.entries()] == ["ab/cd/after.wav"]
