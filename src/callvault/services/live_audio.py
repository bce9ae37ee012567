"""The one recording session of every live source: a call's audio arrives as the seam's events
(:mod:`callvault.calls.stream_formats.events`), from the media WebSocket of a call callvault runs,
a CPaaS platform's media stream or a SIPREC session, and goes into that call's recording.

A session bound to a call (:meth:`LiveAudioSession.of_active_call`) takes a start event only for
that call. Otherwise the start event names the call (the platform's id) or leaves the id to
callvault (SIPREC), and the session opens it as a recorded call (``services.recorded_calls``); a
call the session opened ends when the source ends.

How the source ended decides the recording's status: ``stopped`` (the source said so, or a format
that ends by closing did) is ``complete``; ``dropped`` (it broke off, or broke its protocol) and
``failed`` (callvault failed while recording it) are ``partial``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import Literal

from callvault.calls.runtime import MediaSession
from callvault.calls.stream_formats.events import (
    StreamAudio,
    StreamEvent,
    StreamMark,
    StreamPaused,
    StreamResumed,
    StreamStarted,
    StreamStopped,
)
from callvault.domain.errors import (
    AccessDenied,
    MediaStreamError,
    NotFound,
    StreamMetadataTooLarge,
    VoiceApiError,
)
from callvault.domain.limits import MAX_STREAM_SOURCE_BYTES
from callvault.domain.records import RecordingState
from callvault.services.container import Services
from callvault.services.live_calls import hang_up, require_active_call, set_recording_state
from callvault.services.recorded_calls import open_recorded_call

__all__ = ["Ending", "LiveAudioSession"]

log = logging.getLogger("callvault.calls")

Ending = Literal["stopped", "dropped", "failed"]
"""How a live source ended: normally; broken off (or it broke its protocol); callvault failed."""


class LiveAudioSession:
    """One live source's events into one call's recording. Thread-safe like :class:`MediaSession`.

    `handle` a :class:`StreamAudio` or :class:`StreamMark` anywhere (no database); every other event,
    and `close`, touch the database: off the event loop.
    """

    def __init__(
        self,
        services: Services,
        account_id: str,
        *,
        call_id: str | None = None,
        release_slot: Callable[[], None] | None = None,
    ) -> None:
        self._services = services
        self._release_slot = release_slot
        self.account_id = account_id
        self._bound_call_id = call_id
        self.on_call_ended: Callable[[], None] | None = None
        """Called (on any thread) when the call ends while the source is still sending."""
        self._media: MediaSession | None = None
        self._opened_call = False
        self._closed = False

    @classmethod
    def of_active_call(cls, services: Services, account_id: str, call_id: str) -> LiveAudioSession:
        """The session of a call callvault runs; :class:`CallNotActive` unless it is active."""
        require_active_call(services, account_id, call_id)
        return cls(services, account_id, call_id=call_id)

    @classmethod
    def of_stream(cls, services: Services, account_id: str, *, token_id: int | None) -> LiveAudioSession:
        """The session of a platform's stream, by a stream token (`token_id`) or the account's
        Basic credentials (None); StreamLimitReached when that source has its streams open already."""
        if token_id is not None:
            slot = services.stream_slots.take(f"token:{token_id}", f"stream token {token_id}")
        else:
            slot = services.stream_slots.take(f"account:{account_id}", f"account {account_id}")
        return cls(services, account_id, release_slot=slot)

    @property
    def started(self) -> bool:
        return self._media is not None

    @property
    def call_id(self) -> str | None:
        """The call's id once the source started (before: the call it is bound to, if any)."""
        return self._media.call_id if self._media is not None else self._bound_call_id

    @property
    def position_seconds(self) -> float:
        """The media position of the call's active recording (0 without one)."""
        return self._media.position_seconds if self._media is not None else 0.0

    def handle(self, event: StreamEvent) -> None:
        """Apply one event; MediaStreamError when it breaks the order of a stream."""
        if isinstance(event, StreamAudio):
            self._started_media().feed_samples(event.track, event.samples, at=event.at)
        elif isinstance(event, StreamStarted):
            self._start(event)
        elif isinstance(event, StreamPaused):
            self._set_recording_state("paused")
        elif isinstance(event, StreamResumed):
            self._set_recording_state("recording")
        elif isinstance(event, StreamStopped):
            self._started_media().stream_stopped()
        elif not isinstance(event, StreamMark):  # a mark is answered by whoever reads the source
            raise TypeError(f"not a stream event: {event!r}")

    def close(self, ending: Ending) -> None:
        """The source ended: finish the recording as `ending` says, and a call the session opened."""
        if self._release_slot is not None:
            self._release_slot()
        media = self._media
        if media is None or self._closed:
            return
        self._closed = True
        if ending == "stopped":
            media.stream_stopped()
        media.end(failed=ending == "failed", release_owner=not self._opened_call)
        if self._opened_call:
            with contextlib.suppress(NotFound):
                hang_up(self._services, self.account_id, media.call_id, media_owner=media.owner)

    def _started_media(self) -> MediaSession:
        if self._media is None:
            raise MediaStreamError("the stream must begin with a start event")
        return self._media

    def _start(self, event: StreamStarted) -> None:
        if self._media is not None:
            raise MediaStreamError("the stream sent a second start event")
        call_id = self._call_for(event)
        media = self._services.live.session(self.account_id, call_id)
        media.on_call_ended = self.on_call_ended
        try:
            media.start_tracks(event.tracks)
        except BaseException:
            if self._opened_call:
                hang_up(self._services, self.account_id, call_id)
            raise
        self._media = media

    def _call_for(self, event: StreamStarted) -> str:
        """The id of the call `event` starts: the bound call's, or one opened for the source."""
        if self._bound_call_id is not None:
            if event.call_id != self._bound_call_id or event.account_id not in (None, self.account_id):
                raise MediaStreamError(
                    f"the start event names call {event.call_id} of account {event.account_id}, but "
                    f"this stream is for call {self._bound_call_id} of account {self.account_id}"
                )
            return self._bound_call_id
        if event.account_id is not None and event.account_id != self.account_id:
            raise AccessDenied(f"the stream names account {event.account_id}, not {self.account_id}")
        kept = len(json.dumps(event.source).encode())
        if kept > MAX_STREAM_SOURCE_BYTES:
            raise StreamMetadataTooLarge(
                f"the stream's metadata is {kept} bytes as JSON; at most {MAX_STREAM_SOURCE_BYTES} are kept"
            )
        call, self._opened_call = open_recorded_call(
            self._services,
            self.account_id,
            call_id=event.call_id,
            from_number=event.from_number,
            to_number=event.to_number,
            direction=event.direction,
            start_time=event.start_time,
            source=event.source,
        )
        return call.call_id

    def _set_recording_state(self, state: RecordingState) -> None:
        call_id = self._started_media().call_id
        try:
            set_recording_state(self._services, self.account_id, call_id, state)
        except VoiceApiError as exc:  # the call's recording was stopped or the call ended meanwhile
            log.info("call %s: cannot set its recording %s: %s", call_id, state, exc.description)
