"""The encrypted blob format: Range maths against the plaintext, and every kind of damage detected."""

from __future__ import annotations

import hashlib
import os

import pytest

from callvault.media import chunked_cipher as cipher
from callvault.media.chunked_cipher import BlobIntegrityError

CHUNK = 1024


def _blob(plain: bytes, key: bytes, header: cipher.BlobHeader, piece: int = 333) -> bytes:
    pieces = [plain[i : i + piece] for i in range(0, len(plain), piece)]
    return b"".join(cipher.encrypt_stream(key, header, pieces))


def _read(blob: bytes, key: bytes, start: int, end: int) -> bytes:
    header = cipher.parse_header(blob[: cipher.HEADER_SIZE])
    size = cipher.plaintext_size(len(blob), header.chunk_size)
    span = cipher.chunk_span(start, end, size, header.chunk_size)
    stored = blob[span.blob_start : span.blob_end + 1]
    return b"".join(
        cipher.decrypt_span(key, header, span, [stored[i : i + 500] for i in range(0, len(stored), 500)])
    )


@pytest.mark.parametrize("size", [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])
def test_every_range_decrypts_to_exactly_the_plaintext_bytes(size: int) -> None:
    plain, key = os.urandom(size), cipher.new_data_key()
    blob = _blob(plain, key, cipher.new_header(CHUNK))
    assert cipher.plaintext_size(len(blob), CHUNK) == size
    edges = sorted({0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK, size - 2, size - 1})
    for start in (e for e in edges if 0 <= e < size):
        for end in (e for e in [*edges, size + 50] if e >= start):
            assert _read(blob, key, start, end) == plain[start : end + 1], (start, end)


def test_chunk_span_reads_only_the_chunks_that_hold_the_range() -> None:
    span = cipher.chunk_span(CHUNK - 1, CHUNK, 10 * CHUNK, CHUNK)
    unit = CHUNK + cipher.CHUNK_OVERHEAD
    assert (span.first_chunk, span.last_chunk, span.final_chunk) == (0, 1, 9)
    assert (span.blob_start, span.blob_end) == (cipher.HEADER_SIZE, cipher.HEADER_SIZE + 2 * unit - 1)
    assert (span.skip, span.length) == (CHUNK - 1, 2)
    last = cipher.chunk_span(10 * CHUNK - 1, 10 * CHUNK + 99, 10 * CHUNK, CHUNK)
    assert last.blob_end == cipher.HEADER_SIZE + 10 * unit - 1 and last.length == 1
    with pytest.raises(ValueError):
        cipher.chunk_span(10 * CHUNK, 10 * CHUNK, 10 * CHUNK, CHUNK)


def test_an_empty_plaintext_is_one_authenticated_chunk() -> None:
    key = cipher.new_data_key()
    blob = _blob(b"", key, cipher.new_header(CHUNK))
    assert len(blob) == cipher.HEADER_SIZE + cipher.CHUNK_OVERHEAD
    assert cipher.plaintext_size(len(blob), CHUNK) == 0


def test_a_flipped_byte_anywhere_is_detected() -> None:
    plain, key = os.urandom(3 * CHUNK + 5), cipher.new_data_key()
    blob = _blob(plain, key, cipher.new_header(CHUNK))
    for position in range(0, len(blob), 97):
        damaged = bytearray(blob)
        damaged[position] ^= 0x40
        with pytest.raises(BlobIntegrityError):
            _read(bytes(damaged), key, 0, len(plain) - 1)


def test_truncated_reordered_and_foreign_chunks_are_detected() -> None:
    plain, key = os.urandom(4 * CHUNK), cipher.new_data_key()
    header = cipher.new_header(CHUNK)
    blob = _blob(plain, key, header)
    unit = header.unit
    chunks = [blob[cipher.HEADER_SIZE + i * unit : cipher.HEADER_SIZE + (i + 1) * unit] for i in range(4)]
    at_boundary = blob[: cipher.HEADER_SIZE + 3 * unit]
    with pytest.raises(BlobIntegrityError, match="chunk 2"):
        _read(at_boundary, key, 0, 3 * CHUNK - 1)  # its last chunk was not written as the last one
    with pytest.raises(BlobIntegrityError, match="cut short"):
        cipher.plaintext_size(len(blob) - unit + 5, CHUNK)
    swapped = blob[: cipher.HEADER_SIZE] + chunks[1] + chunks[0] + chunks[2] + chunks[3]
    with pytest.raises(BlobIntegrityError):
        _read(swapped, key, 0, CHUNK - 1)
    other = _blob(os.urandom(4 * CHUNK), key, cipher.new_header(CHUNK))  # same key, another blob
    spliced = (
        blob[: cipher.HEADER_SIZE + unit] + other[cipher.HEADER_SIZE + unit : cipher.HEADER_SIZE + 2 * unit]
    )
    with pytest.raises(BlobIntegrityError):
        _read(spliced + b"".join(chunks[2:]), key, CHUNK, 2 * CHUNK - 1)
    with pytest.raises(BlobIntegrityError):
        _read(blob, cipher.new_data_key(), 0, 10)  # the wrong key


def test_plaintext_is_not_mistaken_for_the_format() -> None:
    assert not cipher.is_encrypted(b"RIFF\x00\x00\x00\x00WAVE")
    assert not cipher.is_encrypted(b"ID3\x04")
    with pytest.raises(BlobIntegrityError):
        cipher.parse_header(b"RIFF" + bytes(40))


def test_sealed_pieces_are_a_mib_or_more_and_never_change_after_they_are_yielded() -> None:
    """The encryption writes each chunk straight into its output piece: pieces of any size and kind
    (bytes, bytearray, memoryview; smaller and larger than a chunk) give the same blob as any other
    split, every piece but the last is at least SEALED_PIECE_BYTES, and none is touched once yielded."""
    plain, key = os.urandom(3 * cipher.SEALED_PIECE_BYTES + 5 * CHUNK + 17), cipher.new_data_key()
    sizes = [1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3, 70_000, 333_333]
    pieces: list[bytes | bytearray | memoryview] = []
    offset = 0
    for index in range(10_000):
        size = sizes[index % len(sizes)]
        piece = plain[offset : offset + size]
        pieces.append((bytes, bytearray, memoryview)[index % 3](piece))
        offset += size
        if offset >= len(plain):
            break
    header = cipher.new_header(CHUNK)
    digest = cipher.PlaintextDigest()
    out: list[bytearray] = []
    as_yielded = []
    for piece in cipher.encrypt_stream(key, header, pieces, digest):
        out.append(piece)
        as_yielded.append(bytes(piece))
    assert all(len(piece) >= cipher.SEALED_PIECE_BYTES for piece in out[:-1]) and len(out) == 4
    blob = b"".join(out)
    assert as_yielded == [bytes(piece) for piece in out]
    assert blob.startswith(header.encode())
    assert (digest.size, digest.sha256) == (len(plain), hashlib.sha256(plain).hexdigest())
    assert _read(blob, key, 0, len(plain) - 1) == plain
    assert cipher.plaintext_size(len(blob), CHUNK) == len(plain)


@pytest.mark.parametrize("size", [CHUNK, 3 * CHUNK])
def test_a_plaintext_of_whole_chunks_ends_in_a_full_final_chunk(size: int) -> None:
    plain, key = os.urandom(size), cipher.new_data_key()
    for piece in (CHUNK, size, 100):
        blob = _blob(plain, key, cipher.new_header(CHUNK), piece=piece)
        assert len(blob) == cipher.HEADER_SIZE + (size // CHUNK) * (CHUNK + cipher.CHUNK_OVERHEAD)
        assert _read(blob, key, size - 1, size - 1) == plain[-1:]
