"""A stored blob read as a seekable file, for code that reads a recording at a few known offsets (the
probe of an upload once it is stored): each read is one ranged ``BlobStore.open``, so an encrypted
blob decrypts only the chunks that hold the bytes asked for."""

from __future__ import annotations

import io

from callvault.media.blobstore import BlobStore

__all__ = ["BlobReader"]


class BlobReader(io.RawIOBase):
    """Read-only and seekable; ``size`` is the blob's (plaintext) size, as its write reported it."""

    def __init__(self, blobs: BlobStore, key: str, size: int) -> None:
        self._blobs = blobs
        self._key = key
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        end = self._position + wanted - 1
        filled = 0
        for piece in self._blobs.open(self._key, self._position, end, chunk_size=max(wanted, 1 << 16)):
            buffer[filled : filled + len(piece)] = piece
            filled += len(piece)
        self._position += filled
        return filled
