"""S3BlobStore: blobs as objects in an S3-compatible bucket (AWS, SeaweedFS, MinIO ...)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from callvault.media.blobstore import (
    BlobEntry,
    BlobInfo,
    BlobNotFound,
    BlobStoreUnavailable,
    Chunk,
    InvalidBlobKey,
    MeasuredChunks,
    PartialWrite,
    check_range,
    new_blob_key,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = ["PART_SIZE", "S3BlobStore", "make_s3_client"]

PART_SIZE = 8 << 20
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


def make_s3_client() -> S3Client:
    """A boto3 S3 client configured by the standard environment.

    ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``.

    With a custom endpoint (SeaweedFS, MinIO) requests use path-style addressing.
    """
    endpoint_url = os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
    )
    session = boto3.session.Session()
    client: S3Client = session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
    return client


class S3BlobStore:
    """Blobs as objects ``<prefix>/<key>`` in ``bucket``; one client, shared safely by all threads."""

    def __init__(self, bucket: str, prefix: str = "", client: S3Client | None = None) -> None:
        if not bucket:
            raise ValueError("S3 bucket name is empty")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.client: S3Client = client if client is not None else make_s3_client()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet; BlobStoreUnavailable when it cannot be used."""
        try:
            self._ensure_bucket()
        except BotoCoreError as error:  # no credentials, no endpoint, ...
            raise BlobStoreUnavailable(f"cannot use s3://{self.bucket}: {error}") from None
        except ClientError as error:  # refused: bad credentials, no permission, ...
            raise BlobStoreUnavailable(
                f"cannot use s3://{self.bucket}: {_error_code(error)}: {error}"
            ) from None

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            if not _is_not_found(error):
                raise
        region = self.client.meta.region_name
        try:
            if region and region != "us-east-1":
                self.client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
            else:
                self.client.create_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def new_key(self, suffix: str) -> str:
        return new_blob_key(suffix)

    def write(
        self, key: str, chunks: Iterable[Chunk], *, max_size: int | None = None, digest: bool = True
    ) -> BlobInfo:
        object_key = self._object_key(key)
        upload = _Upload(self.client, self.bucket, object_key)
        measured = MeasuredChunks(chunks, max_size, digest=digest)
        buffer = bytearray()
        try:
            for chunk in measured:
                buffer += chunk
                while len(buffer) >= PART_SIZE:
                    upload.add_part(bytes(buffer[:PART_SIZE]))
                    del buffer[:PART_SIZE]
            upload.finish(bytes(buffer))
        except BaseException:
            upload.abort()
            raise
        return BlobInfo(key=key, size=measured.size, sha256=measured.sha256)

    def open(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        check_range(start, end, chunk_size)
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self._object_key(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self.client.get_object(**request)
        except ClientError as error:
            if _is_not_found(error):
                raise BlobNotFound(key) from None
            if _error_code(error) == "InvalidRange":  # start at or past the end
                return iter(())
            raise
        return _stream_body(response["Body"], chunk_size)

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if _is_not_found(error):
                raise BlobNotFound(key) from None
            raise
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if not _is_not_found(error):
                raise

    def keys(self) -> Iterator[str]:
        return (entry.key for entry in self.entries())

    def entries(self) -> Iterator[BlobEntry]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._listing_prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self._listing_prefix) :]
                if _is_valid_key(key):
                    yield BlobEntry(key=key, size=int(item["Size"]), modified=_utc(item["LastModified"]))

    def remove_partial_writes(self, older_than: datetime, *, dry_run: bool = False) -> list[PartialWrite]:
        """Abort multipart uploads begun before ``older_than`` (their parts are stored, and billed,
        until aborted)."""
        removed = []
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._listing_prefix):
            for upload in page.get("Uploads", []):
                started = _utc(upload["Initiated"])
                if started >= older_than:
                    continue
                object_key, upload_id = upload["Key"], upload["UploadId"]
                if not dry_run:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=object_key, UploadId=upload_id)
                name = f"{object_key[len(self._listing_prefix) :]}#{upload_id}"
                removed.append(PartialWrite(name=name, size=None, started=started))
        return removed

    @property
    def _listing_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key


class _Upload:
    """One object upload: a single PUT when the body fits in one part, else a multipart upload."""

    def __init__(self, client: S3Client, bucket: str, object_key: str) -> None:
        self.client = client
        self.bucket = bucket
        self.object_key = object_key
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def add_part(self, data: bytes) -> None:
        if self.upload_id is None:
            created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.object_key)
            self.upload_id = created["UploadId"]
        number = len(self.parts) + 1
        uploaded = self.client.upload_part(
            Bucket=self.bucket, Key=self.object_key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})

    def finish(self, tail: bytes) -> None:
        if self.upload_id is None:
            self.client.put_object(Bucket=self.bucket, Key=self.object_key, Body=tail)
            return
        if tail:
            self.add_part(tail)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.object_key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},  # type: ignore[typeddict-item]
        )
        self.upload_id = None

    def abort(self) -> None:
        if self.upload_id is None:
            return
        with contextlib.suppress(Exception):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.object_key, UploadId=self.upload_id
            )
        self.upload_id = None


def _stream_body(body: Any, chunk_size: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_not_found(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _error_code(error) in _NOT_FOUND_CODES or status == 404


def _is_valid_key(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidBlobKey:
        return False
    return True
