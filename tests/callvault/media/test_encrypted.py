"""The encrypting blob store over a directory and over S3 (SeaweedFS): plaintext sizes and digests,
ranges, blobs written before encryption, keys that are missing or sealed, failed writes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from callvault.media.blobstore import BlobStore, BlobTooLarge
from callvault.media.encrypted import BlobIntegrityError, EncryptedBlobStore, MediaKeyUnavailable, StoredKey
from callvault.media.files import FileBlobStore
from callvault.media.s3 import S3BlobStore
from support.data_keys import DictKeys


@pytest.fixture(params=["files", "s3"])
def inner(request: pytest.FixtureRequest, file_store: FileBlobStore) -> BlobStore:
    if request.param == "files":
        return file_store
    client = request.getfixturevalue("seaweed_s3").client()
    store = S3BlobStore(request.getfixturevalue("s3_bucket"), "enc", client=client)
    store.ensure_bucket()
    return store


def test_writes_are_encrypted_and_read_back_exactly(inner: BlobStore) -> None:
    keys = DictKeys()
    store = EncryptedBlobStore(inner, keys, chunk_size=4096)
    plain = os.urandom(5 * 4096 + 123)
    key = store.new_key(".wav")
    info = store.write(key, [plain[i : i + 10_000] for i in range(0, len(plain), 10_000)])
    assert (info.size, info.sha256) == (len(plain), hashlib.sha256(plain).hexdigest())
    assert store.size(key) == len(plain) and inner.size(key) > len(plain)
    assert plain[:64] not in b"".join(inner.open(key))
    assert b"".join(store.open(key)) == plain
    assert b"".join(store.open(key, 4095, 8192, chunk_size=1000)) == plain[4095:8193]
    assert b"".join(store.open(key, len(plain))) == b""
    assert store.local_path(key) is None, "an encrypted blob has no plaintext file"
    store.delete(key)
    assert not inner.exists(key) and keys.lookup(key) is None


def test_blobs_from_before_encryption_read_as_stored(inner: BlobStore) -> None:
    legacy = inner.new_key(".wav")
    inner.write(legacy, [b"RIFF" + bytes(100)])
    store = EncryptedBlobStore(inner, DictKeys())
    assert b"".join(store.open(legacy, 0, 3)) == b"RIFF" and store.size(legacy) == 104


def test_an_encrypted_blob_without_its_key_or_with_a_sealed_one_is_never_read(inner: BlobStore) -> None:
    keys = DictKeys()
    store = EncryptedBlobStore(inner, keys)
    key = store.new_key(".wav")
    store.write(key, [b"audio" * 1000])
    data_key = keys.keys.pop(key).data_key
    with pytest.raises(BlobIntegrityError, match="no data key"):
        store.open(key)
    keys.keys[key] = StoredKey(None, "sealed to the account's key", sealed=True)
    with pytest.raises(MediaKeyUnavailable) as sealed:
        store.open(key)
    assert sealed.value.sealed
    keys.keys[key] = StoredKey(data_key)
    assert b"".join(store.open(key)) == b"audio" * 1000


def test_a_failed_write_leaves_no_blob_and_no_key(inner: BlobStore) -> None:
    keys = DictKeys()
    store = EncryptedBlobStore(inner, keys)

    def failing() -> Iterator[bytes]:
        yield b"x" * 100_000
        raise RuntimeError("the upload broke")

    key = store.new_key(".wav")
    with pytest.raises(RuntimeError):
        store.write(key, failing())
    assert not inner.exists(key) and keys.keys == {}
    with pytest.raises(BlobTooLarge):
        store.write(key, [b"x" * 5000], max_size=4000)
    assert not inner.exists(key) and keys.keys == {}


def test_writes_stay_plaintext_when_encryption_is_off(file_store: FileBlobStore) -> None:
    store = EncryptedBlobStore(file_store, DictKeys(), encrypt_writes=False)
    key = store.new_key(".wav")
    store.write(key, [b"RIFF-plain"])
    assert b"".join(file_store.open(key)) == b"RIFF-plain"
