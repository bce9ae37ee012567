"""Media: where audio is stored (blob stores) and what it is (``callvault.media.probe``).

- :mod:`callvault.media.blobstore`: the :class:`BlobStore` protocol, its errors, :func:`open_blob_store`.
- :mod:`callvault.media.files`: :class:`~callvault.media.files.FileBlobStore` (a directory).
- :mod:`callvault.media.s3`: :class:`~callvault.media.s3.S3BlobStore` (an S3-compatible bucket).
- :mod:`callvault.media.probe`: probe WAV/MP3 from their content.
- :mod:`callvault.media.audio`: stream-write WAV/MP3, G.711, resampling.
- :mod:`callvault.media.decode`: streamed 16 kHz per-channel decoding for transcription.
- :mod:`callvault.media.fallback`: read-through to the previous store after a media migration.

This package imports only the light blob-store API; the audio and S3 modules load when imported.
"""

from __future__ import annotations

from callvault.media.blobstore import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreError,
    BlobTooLarge,
    InvalidBlobKey,
    new_blob_key,
    open_blob_store,
    validate_key,
)

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreError",
    "BlobTooLarge",
    "InvalidBlobKey",
    "new_blob_key",
    "open_blob_store",
    "validate_key",
]
