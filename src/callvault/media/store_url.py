"""The blob store a media URL names: ``file://``/a plain path (a directory) or ``s3://bucket/prefix``.

Kept apart from the protocol (``callvault.media.blobstore``) that the stores implement, so the stores
never import what imports them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from callvault.media.blobstore import BlobStore
from callvault.media.files import FileBlobStore

__all__ = ["open_blob_store"]


def open_blob_store(media_url: str) -> BlobStore:
    """Build the store that ``media_url`` names.

    ``file:///abs/dir`` or a plain path: a :class:`~callvault.media.files.FileBlobStore` (directory
    created). ``s3://bucket/prefix``: an :class:`~callvault.media.s3.S3BlobStore` configured from the
    standard ``AWS_*`` environment variables; the bucket is created when missing.
    """
    if not media_url:
        raise ValueError("media URL is empty")
    parts = urlsplit(media_url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        return _open_s3(parts.netloc, parts.path)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file media URL must name a local absolute path: {media_url!r}")
        return _open_files(Path(unquote(parts.path)))
    if scheme == "":
        return _open_files(Path(media_url).expanduser())
    raise ValueError(f"unsupported media URL scheme {parts.scheme!r} in {media_url!r} (use file:// or s3://)")


def _open_files(root: Path) -> BlobStore:
    return FileBlobStore(root.resolve())


def _open_s3(bucket: str, path: str) -> BlobStore:
    from callvault.media.s3 import S3BlobStore  # boto3 loads only where S3 is used

    if not bucket:
        raise ValueError("s3 media URL needs a bucket: s3://bucket/prefix")
    store = S3BlobStore(bucket, path.strip("/"))
    store.ensure_bucket()
    return store
