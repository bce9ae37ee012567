"""The encrypted blob format: AES-256-GCM over fixed-size chunks, so a byte range decrypts alone.

A blob is a 24-byte header, then chunks. The header is ``b"CVAE"``, the format version, log2 of the
plaintext chunk size, two zero bytes and a random 16-byte blob id. Each chunk is a random 12-byte
nonce, the ciphertext of up to ``chunk_size`` plaintext bytes and the 16-byte GCM tag. Every chunk is
authenticated with the header, its index and whether it is the last one as associated data, so an
altered byte or header, a chunk moved to another place or another blob, and a blob cut short (at a
chunk boundary or inside a chunk) all fail the tag check. Every chunk but the last is full, so the
plaintext size and each chunk's place follow from the blob's size alone (:func:`plaintext_size`,
:func:`chunk_span`: the Range maths, in one place).

Pure functions: no I/O; the blob store wrapper (:mod:`callvault.media.encrypted`) does the reading.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from callvault.media.blobstore import BlobStoreError, Chunk

MAGIC = b"CVAE"
VERSION = 1
HEADER_SIZE = 24
NONCE_SIZE = 12
TAG_SIZE = 16
CHUNK_OVERHEAD = NONCE_SIZE + TAG_SIZE
DATA_KEY_SIZE = 32
DEFAULT_CHUNK_SIZE = 1 << 16
SEALED_PIECE_BYTES = 1 << 20
"""What :func:`encrypt_stream` yields at a time: a blob store writes pieces this large as they are."""
_HEADER = struct.Struct(">4sBBH16s")
_CHUNK_PLACE = struct.Struct(">QB")


class BlobIntegrityError(BlobStoreError):
    """The encrypted blob was altered, truncated or reordered, or is not in this format."""


@dataclass(frozen=True)
class BlobHeader:
    chunk_size: int
    blob_id: bytes

    def encode(self) -> bytes:
        return _HEADER.pack(MAGIC, VERSION, self.chunk_size.bit_length() - 1, 0, self.blob_id)

    @property
    def unit(self) -> int:
        """Bytes one full chunk takes in the blob."""
        return self.chunk_size + CHUNK_OVERHEAD


def new_header(chunk_size: int = DEFAULT_CHUNK_SIZE) -> BlobHeader:
    if chunk_size < 1024 or chunk_size & (chunk_size - 1):
        raise ValueError(f"chunk size must be a power of two of at least 1024, got {chunk_size}")
    return BlobHeader(chunk_size, os.urandom(16))


def parse_header(data: bytes) -> BlobHeader:
    if len(data) < HEADER_SIZE or not data.startswith(MAGIC):
        raise BlobIntegrityError("the blob does not start with an encrypted-media header")
    _, version, size_log2, reserved, blob_id = _HEADER.unpack(data[:HEADER_SIZE])
    if version != VERSION or reserved != 0 or not 10 <= size_log2 <= 24:
        raise BlobIntegrityError(f"unknown encrypted-media header (version {version})")
    return BlobHeader(1 << size_log2, blob_id)


def is_encrypted(prefix: bytes) -> bool:
    """Whether bytes read from a blob's start are this format's (plaintext audio never starts so)."""
    return prefix[: len(MAGIC)] == MAGIC


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=DATA_KEY_SIZE * 8)


def _associated_data(header: BlobHeader, index: int, final: bool) -> bytes:
    return header.encode() + _CHUNK_PLACE.pack(index, 1 if final else 0)


@dataclass
class PlaintextDigest:
    """What went into an encryption: its size and sha256 (filled while the blob streams out)."""

    size: int = 0
    sha256: str = ""


def encrypt_stream(
    data_key: bytes,
    header: BlobHeader,
    plaintext: Iterable[Chunk],
    digest: PlaintextDigest | None = None,
) -> Iterator[bytearray]:
    """The encrypted blob of ``plaintext`` (pieces of any size), streamed in pieces of at least
    :data:`SEALED_PIECE_BYTES` (the header in the first, the last smaller). Each chunk is sealed
    straight from its piece into the output (a chunk that spans pieces is gathered first), and an
    output piece is never changed after it is yielded."""
    aead = AESGCM(data_key)
    hasher = hashlib.sha256()
    out = _SealedPieces(aead, header)
    chunk_size = header.chunk_size
    gathered = bytearray(chunk_size)
    held = 0  # plaintext bytes in `gathered`, sealed once more is known to follow
    size = 0
    for piece in plaintext:
        hasher.update(piece)
        size += len(piece)
        view, offset = memoryview(piece), 0
        while offset < len(view):
            if held == chunk_size:
                yield from out.seal(gathered, final=False)
                held = 0
            if not held and len(view) - offset > chunk_size:
                yield from out.seal(view[offset : offset + chunk_size], final=False)
                offset += chunk_size
                continue
            taken = min(chunk_size - held, len(view) - offset)
            gathered[held : held + taken] = view[offset : offset + taken]
            held += taken
            offset += taken
    yield from out.seal(memoryview(gathered)[:held], final=True)
    if rest := out.rest():
        yield rest
    if digest is not None:
        digest.size, digest.sha256 = size, hasher.hexdigest()


class _SealedPieces:
    """Sealed chunks laid end to end in output pieces of at least :data:`SEALED_PIECE_BYTES`, each
    chunk's nonce and ciphertext written in place (no copy per chunk, no join)."""

    def __init__(self, aead: AESGCM, header: BlobHeader) -> None:
        self._aead = aead
        self._header = header
        self._unit = header.unit
        self._capacity = HEADER_SIZE + -(-SEALED_PIECE_BYTES // self._unit) * self._unit
        self._index = 0
        self._start_piece(header.encode())

    def _start_piece(self, prefix: bytes = b"") -> None:
        self._piece = bytearray(self._capacity)
        self._piece[: len(prefix)] = prefix
        self._filled = len(prefix)

    def seal(self, chunk: bytes | bytearray | memoryview, *, final: bool) -> Iterator[bytearray]:
        """Seal the next chunk; yields the output piece it filled, if it filled one."""
        nonce = os.urandom(NONCE_SIZE)
        start = self._filled + NONCE_SIZE
        end = start + len(chunk) + TAG_SIZE
        associated = _associated_data(self._header, self._index, final)
        with memoryview(self._piece) as piece:
            piece[self._filled : start] = nonce
            self._aead.encrypt_into(nonce, chunk, associated, piece[start:end])
        self._filled = end
        self._index += 1
        if self._capacity - self._filled < self._unit:
            yield self.rest()
            self._start_piece()

    def rest(self) -> bytearray:
        """The output piece as far as it is filled (after the final chunk: what is left to yield)."""
        del self._piece[self._filled :]
        return self._piece


def plaintext_size(blob_size: int, chunk_size: int) -> int:
    """The plaintext size of an encrypted blob of ``blob_size`` bytes; raises when no such blob exists."""
    body = blob_size - HEADER_SIZE
    full, rest = divmod(body, chunk_size + CHUNK_OVERHEAD)
    if body < CHUNK_OVERHEAD or (rest and rest < CHUNK_OVERHEAD):
        raise BlobIntegrityError(f"an encrypted blob cannot be {blob_size} bytes long: it was cut short")
    return full * chunk_size + (rest - CHUNK_OVERHEAD if rest else 0)


def chunk_count(plain_size: int, chunk_size: int) -> int:
    return max(1, -(-plain_size // chunk_size))


@dataclass(frozen=True)
class ChunkSpan:
    """The chunks that hold plaintext bytes ``start..end`` and where they lie in the blob."""

    first_chunk: int
    last_chunk: int
    final_chunk: int
    """The blob's last chunk (it is authenticated as the last one)."""
    blob_start: int
    blob_end: int
    """Inclusive."""
    final_chunk_bytes: int
    """The last chunk's size in the blob (every other chunk takes a full unit)."""
    skip: int
    """Plaintext bytes of the first chunk before ``start``."""
    length: int
    """Plaintext bytes wanted."""


def chunk_span(start: int, end: int, plain_size: int, chunk_size: int) -> ChunkSpan:
    """Plaintext bytes ``start..end`` (inclusive, ``end`` clipped to the size) as a range of chunks.

    ``start`` must lie inside the plaintext (``0 <= start < plain_size``).
    """
    if not 0 <= start < plain_size or end < start:
        raise ValueError(f"range {start}-{end} is not inside a plaintext of {plain_size} bytes")
    end = min(end, plain_size - 1)
    unit = chunk_size + CHUNK_OVERHEAD
    first, last = start // chunk_size, end // chunk_size
    final = chunk_count(plain_size, chunk_size) - 1
    final_bytes = plain_size - final * chunk_size + CHUNK_OVERHEAD
    blob_end = HEADER_SIZE + last * unit + (unit if last < final else final_bytes) - 1
    return ChunkSpan(
        first_chunk=first,
        last_chunk=last,
        final_chunk=final,
        blob_start=HEADER_SIZE + first * unit,
        blob_end=blob_end,
        final_chunk_bytes=final_bytes,
        skip=start - first * chunk_size,
        length=end - start + 1,
    )


def decrypt_span(
    data_key: bytes,
    header: BlobHeader,
    span: ChunkSpan,
    blob: Iterable[bytes],
    *,
    chunks_per_piece: int = 1,
) -> Iterator[bytes]:
    """Decrypt the chunks of ``span`` from ``blob`` (its bytes ``blob_start..blob_end``, in pieces of
    any size) and yield exactly the plaintext bytes the span asks for, in pieces of up to
    ``chunks_per_piece`` chunks. Each piece is decrypted in place into one new buffer (no copy per
    chunk, no join); a piece is never changed after it is yielded."""
    aead = AESGCM(data_key)
    index = span.first_chunk
    skip, wanted = span.skip, span.length
    pending = b""
    out: bytearray | None = None
    filled = 0
    for piece in blob:
        data = pending + piece if pending else piece
        view, offset = memoryview(data), 0
        while index <= span.last_chunk:
            final = index == span.final_chunk
            size = span.final_chunk_bytes if final else header.unit
            if len(data) - offset < size:
                break
            if out is None:
                out = bytearray(min(chunks_per_piece, span.last_chunk - index + 1) * header.chunk_size)
                filled = 0
            plain_size = size - CHUNK_OVERHEAD
            _open_chunk_into(
                aead, header, index, view[offset : offset + size], memoryview(out)[filled:], final=final
            )
            filled += plain_size
            offset += size
            index += 1
            if filled + header.chunk_size > len(out) or index > span.last_chunk:
                wanted_here = memoryview(out)[skip : min(filled, skip + wanted)]
                skip, out = 0, None
                wanted -= len(wanted_here)
                if wanted_here:
                    # A memoryview, read like bytes by every consumer (write, hash, slice, join).
                    yield wanted_here  # type: ignore[misc]
        pending = bytes(view[offset:])
        if index > span.last_chunk:
            break
    if wanted:
        raise BlobIntegrityError(f"the encrypted blob ends inside chunk {index}: it was cut short")


def _open_chunk_into(
    aead: AESGCM, header: BlobHeader, index: int, chunk: memoryview, into: memoryview, *, final: bool
) -> None:
    if len(chunk) < CHUNK_OVERHEAD:
        raise BlobIntegrityError(f"chunk {index} of the encrypted blob is cut short")
    try:
        aead.decrypt_into(
            chunk[:NONCE_SIZE],
            chunk[NONCE_SIZE:],
            _associated_data(header, index, final),
            into[: len(chunk) - CHUNK_OVERHEAD],
        )
    except InvalidTag:
        raise _altered(index) from None


def open_chunk(
    aead: AESGCM, header: BlobHeader, index: int, chunk: bytes | memoryview, *, final: bool
) -> bytes:
    """Decrypt and authenticate one chunk as it was stored (nonce, ciphertext, tag)."""
    if len(chunk) < CHUNK_OVERHEAD:
        raise BlobIntegrityError(f"chunk {index} of the encrypted blob is cut short")
    try:
        return aead.decrypt(chunk[:NONCE_SIZE], chunk[NONCE_SIZE:], _associated_data(header, index, final))
    except InvalidTag:
        raise _altered(index) from None


def _altered(index: int) -> BlobIntegrityError:
    return BlobIntegrityError(
        f"chunk {index} of the encrypted blob failed its integrity check: "
        "the blob was altered, truncated or reordered"
    )
