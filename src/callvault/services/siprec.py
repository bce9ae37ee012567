"""SIPREC sessions as recorded calls: which source an address belongs to, and the use cases the
SIP listener (``api/sip``) calls: open a session's call, pause, resume and end it, each a seam event
into the call's :class:`~callvault.services.live_audio.LiveAudioSession` like any other live source.

A session's call id is callvault's own (the SIPREC dialog's Call-ID is not the recorded call's);
the recording's ``source`` keeps the SIPREC session id, the recorded call's Call-ID and Session-ID
as the client's metadata reports them, and the source's name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from callvault.calls.siprec.metadata import RecordingMetadata, e164_or_aor
from callvault.calls.stream_formats.events import (
    StreamAudio,
    StreamPaused,
    StreamResumed,
    StreamStarted,
    StreamStopped,
)
from callvault.domain.sources import SipSource
from callvault.services.container import Services
from callvault.services.live_audio import LiveAudioSession
from callvault.store import sources_repo

__all__ = ["SipSourceDirectory", "SiprecCall", "SiprecCalls", "siprec_started"]

SOURCE_CACHE_SECONDS = 5.0
SIPREC_SAMPLE_RATE = 8000
"""G.711, the only codec the SRS answers with."""


class SipSourceDirectory:
    """The SIP sources, read from the database at most every `ttl` seconds, so a request from an
    unknown address is refused from memory."""

    def __init__(self, services: Services, ttl: float = SOURCE_CACHE_SECONDS) -> None:
        self._services = services
        self._ttl = ttl
        self._lock = threading.Lock()
        self._sources: list[SipSource] = []
        self._loaded_at = float("-inf")

    def sources_for(self, address: str) -> list[SipSource]:
        now = time.monotonic()
        if now - self._loaded_at > self._ttl:
            with self._lock:
                if now - self._loaded_at > self._ttl:
                    with self._services.store.read() as conn:
                        self._sources = sources_repo.list_sip_sources(conn)
                    self._loaded_at = now
        return [source for source in self._sources if source.matches_address(address)]


class SiprecCall:
    """One SIPREC session's call, as the SIP listener reports it (``SessionRecording``): its audio,
    hold, resume and end become the seam's events in the call's :class:`LiveAudioSession`."""

    def __init__(self, session: LiveAudioSession) -> None:
        assert session.call_id is not None, "the session has started"
        self._session = session
        self.call_id: str = session.call_id

    def add_audio(self, track: str, samples: np.ndarray, *, at: int | None = None) -> None:
        """`samples` of `track`; `at`: where they begin on the track's RTP clock, when known."""
        self._session.handle(StreamAudio(track, samples, at))

    def hold(self) -> None:
        self._session.handle(StreamPaused())

    def resume(self) -> None:
        self._session.handle(StreamResumed())

    def end(self) -> None:
        """The session ended normally: the recording is complete, then the call ends."""
        self._session.handle(StreamStopped())
        self._session.close("stopped")


class SiprecCalls:
    """What the SIP listener needs from the services (``calls.siprec.session.SessionRecordings``)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._directory = SipSourceDirectory(services)

    def sources_for(self, address: str) -> list[SipSource]:
        return self._directory.sources_for(address)

    def open(
        self,
        source: SipSource,
        metadata: RecordingMetadata,
        tracks: tuple[str, ...],
        sip_call_id: str,
        on_ended: Callable[[], None],
    ) -> SiprecCall:
        session = LiveAudioSession(self._services, source.account_id)
        session.on_call_ended = on_ended
        session.handle(siprec_started(source, metadata, tracks, sip_call_id))
        return SiprecCall(session)


def siprec_started(
    source: SipSource, metadata: RecordingMetadata, tracks: tuple[str, ...], sip_call_id: str
) -> StreamStarted:
    """A SIPREC session's start, as the seam's start event (callvault chooses the call id)."""
    participants = metadata.participants
    return StreamStarted(
        call_id=None,
        tracks=dict.fromkeys(tracks, SIPREC_SAMPLE_RATE),
        from_number=e164_or_aor(participants[0].aor) if participants else None,
        to_number=e164_or_aor(participants[1].aor) if len(participants) > 1 else None,
        direction="inbound",
        start_time=metadata.start_time,
        source={
            "type": "siprec",
            "sourceName": source.name,
            "sessionId": metadata.session_id,
            "callId": metadata.original_call_id,
            "sipSessionId": metadata.sip_session_id,
            "siprecCallId": sip_call_id,
        },
    )
