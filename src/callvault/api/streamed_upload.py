"""An ingest upload (``multipart/form-data``) read as it arrives, in one pass.

The media part's bytes go to a worker thread (the blob write: hash, encrypt, write) while the next
ones are received, at most a few MiB ahead, so receiving and storing overlap and nothing is spooled.
Small parts (the metadata) are kept whether they come before or after the media. When the worker
stops early (audio refused by its first bytes, the upload limit) the rest of the body is read and
dropped, so the client reads the answer instead of a reset connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import python_multipart
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from callvault.domain.errors import ValidationFailed
from callvault.media.blobstore import Chunk

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["MEDIA_PART", "METADATA_PART", "StreamedUpload", "UploadAborted", "read_upload"]

MEDIA_PART = "media"
METADATA_PART = "metadata"
MAX_PARTS = 8
MAX_SMALL_PART_BYTES = 1 << 20
_BATCH_BYTES = 1 << 20
_BATCHES_AHEAD = 4

_Stored = TypeVar("_Stored")


class UploadAborted(Exception):
    """The request ended before its media did (the client went away, or the body was refused)."""


_END = object()
_ABORT = object()


class _UploadChannel:
    """Body pieces from the event loop to one worker thread, in batches of about ``_BATCH_BYTES``, with
    at most ``_BATCHES_AHEAD`` batches waiting: the loop awaits room, the worker blocks for the next."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._room = asyncio.Semaphore(_BATCHES_AHEAD)
        self._batch: list[Chunk] = []
        self._batch_bytes = 0
        self.worker_gone = False

    def add(self, piece: Chunk) -> None:
        self._batch.append(piece)
        self._batch_bytes += len(piece)

    async def send_full_batch(self) -> None:
        if self._batch_bytes >= _BATCH_BYTES:
            await self._send_batch()

    async def finish(self) -> None:
        await self._send_batch()
        self._queue.put(_END)

    def abort(self) -> None:
        self._queue.put(_ABORT)

    def stop_waiting(self) -> None:
        """The worker returned or failed: no sender waits for room any more."""
        self.worker_gone = True
        self._room.release()

    async def _send_batch(self) -> None:
        if not self._batch or self.worker_gone:
            return
        await self._room.acquire()
        if self.worker_gone:
            return
        self._queue.put(self._batch)
        self._batch, self._batch_bytes = [], 0

    def pieces(self) -> Iterator[Chunk]:
        """The worker's side: the media's bytes, in order; raises :class:`UploadAborted` on abort."""
        while True:
            batch = self._queue.get()
            if batch is _END:
                return
            if batch is _ABORT:
                raise UploadAborted("the upload ended before its media part did")
            self._loop.call_soon_threadsafe(self._room.release)
            yield from batch  # type: ignore[misc]


@dataclass
class _Part:
    name: str = ""
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    data: bytearray = field(default_factory=bytearray)


@dataclass
class StreamedUpload(Generic[_Stored]):
    """What an upload held: its small parts by name, and what the worker made of its media."""

    fields: dict[str, bytes]
    stored: _Stored


class _UploadReader(Generic[_Stored]):
    def __init__(self, store_media: Callable[[Iterator[Chunk]], _Stored]) -> None:
        self.store_media = store_media
        self.fields: dict[str, bytes] = {}
        self.parts = 0
        self.part = _Part()
        self.in_media = False
        self.media_to_finish = False
        self.channel: _UploadChannel | None = None
        self.worker: asyncio.Future[_Stored] | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ValidationFailed(f"Invalid multipart body: more than {MAX_PARTS} parts")
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.part.header_name.lower() == b"content-disposition":
            self.part.disposition = self.part.header_value
        self.part.header_name = self.part.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        if b"name" not in options:
            raise ValidationFailed('Invalid multipart body: a part\'s Content-Disposition has no "name"')
        self.part.name = options[b"name"].decode("utf-8", "replace")
        if self.part.name != MEDIA_PART:
            return
        if self.channel is not None:
            raise ValidationFailed("Invalid multipart body: more than one media part")
        self.in_media = True
        channel = self.channel = _UploadChannel()
        self.worker = asyncio.ensure_future(run_in_threadpool(self.store_media, channel.pieces()))
        self.worker.add_done_callback(lambda _: channel.stop_waiting())

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_media:
            assert self.channel is not None
            self.channel.add(memoryview(data)[start:end])  # the body's bytes are never changed: no copy
            return
        if len(self.part.data) + end - start > MAX_SMALL_PART_BYTES:
            raise ValidationFailed(
                f"Invalid multipart body: the {self.part.name!r} part is over {MAX_SMALL_PART_BYTES} bytes"
            )
        self.part.data += data[start:end]

    def on_part_end(self) -> None:
        if self.in_media:
            self.in_media = False
            self.media_to_finish = True
        else:
            self.fields.setdefault(self.part.name, bytes(self.part.data))

    async def after_write(self) -> None:
        """Hands what the last body piece gave the media on to the worker (awaiting room)."""
        if self.channel is None:
            return
        if self.media_to_finish:
            self.media_to_finish = False
            await self.channel.finish()
        elif self.in_media:
            await self.channel.send_full_batch()

    def worker_stopped_early(self) -> bool:
        return self.in_media and self.worker is not None and self.worker.done()

    def media_unfinished(self) -> bool:
        return self.in_media


async def read_upload(
    request: Request, store_media: Callable[[Iterator[Chunk]], _Stored]
) -> StreamedUpload[_Stored]:
    """Read ``request``'s multipart body; ``store_media`` runs in a worker thread over the media part's
    bytes as they arrive, and its result comes back with the small parts."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise ValidationFailed("Invalid multipart body: the Content-Type has no boundary")
    reader = _UploadReader(store_media)
    parser = python_multipart.MultipartParser(boundary, reader.callbacks())
    body = request.stream()
    try:
        async for piece in body:
            parser.write(piece)
            await reader.after_write()
            if reader.worker_stopped_early():
                async for _ in body:  # read and dropped: the client then reads the answer
                    pass
                break
        else:
            parser.finalize()
            if reader.media_unfinished():
                raise ValidationFailed("Invalid multipart body: it ends inside the media part")
    except FormParserError as exc:
        raise ValidationFailed(f"Invalid multipart body: {exc}") from None
    finally:
        if reader.worker is not None and not reader.worker.done():
            assert reader.channel is not None
            reader.channel.abort()
            with contextlib.suppress(Exception):
                await reader.worker
    if reader.worker is None:
        raise ValidationFailed("Missing media part: attach the WAV or MP3 file as 'media'")
    return StreamedUpload(reader.fields, await reader.worker)
