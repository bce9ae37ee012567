"""Media: where audio is stored (blob stores) and what it is; import each name from its module.

- :mod:`callvault.media.blobstore`: the :class:`~callvault.media.blobstore.BlobStore` protocol, keys, errors.
- :mod:`callvault.media.store_url`: :func:`~callvault.media.store_url.open_blob_store` (a media URL's store).
- :mod:`callvault.media.files`: :class:`~callvault.media.files.FileBlobStore` (a directory).
- :mod:`callvault.media.s3`: :class:`~callvault.media.s3.S3BlobStore` (an S3-compatible bucket).
- :mod:`callvault.media.fallback`: read-through to the previous store after a media migration.
- :mod:`callvault.media.probe`: probe WAV/MP3 from their content.
- :mod:`callvault.media.audio`: stream-write WAV/MP3, G.711, resampling.
- :mod:`callvault.media.decode`: streamed 16 kHz per-channel decoding for transcription.
- :mod:`callvault.media.peaks`: waveform peaks from a stream of blob chunks.

Importing the package imports none of them: the audio and S3 modules load only where they are used.
"""
