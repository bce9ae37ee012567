"""SIPREC sessions as recorded calls: which source an address belongs to, and the use cases the
SIP listener (``api/sip``) calls: open a session's call, pause, resume and end it.

A session's call id is callvault's own (the SIPREC dialog's Call-ID is not the recorded call's);
the recording's ``source`` keeps the SIPREC session id, the recorded call's Call-ID and Session-ID
as the client's metadata reports them, and the source's name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from callvault.calls.runtime import MediaSession
from callvault.calls.siprec.metadata import RecordingMetadata, e164_or_aor
from callvault.domain.errors import VoiceApiError
from callvault.domain.sources import SipSource
from callvault.services.container import Services
from callvault.services.live_calls import hang_up, set_recording_state
from callvault.services.recorded_calls import open_recorded_call
from callvault.store import sources_repo

__all__ = ["SipSourceDirectory", "SiprecCall", "SiprecCalls"]

log = logging.getLogger("callvault.sip")

SOURCE_CACHE_SECONDS = 5.0


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
    """One SIPREC session's call: its audio goes to the process's live media session."""

    def __init__(self, services: Services, account_id: str, call_id: str, session: MediaSession) -> None:
        self._services = services
        self.account_id = account_id
        self.call_id = call_id
        self._session = session

    def add_audio(self, track: str, samples: np.ndarray, *, at: int | None = None) -> None:
        self._session.feed_samples(track, samples)  # `at` is passed on once MediaSession takes it

    def hold(self) -> None:
        self._set_state("paused")

    def resume(self) -> None:
        self._set_state("recording")

    def _set_state(self, state: str) -> None:
        try:
            set_recording_state(self._services, self.account_id, self.call_id, state)
        except VoiceApiError as exc:  # the call's recording was stopped or the call ended meanwhile
            log.info("SIPREC call %s: cannot set its recording %s: %s", self.call_id, state, exc.description)

    def end(self) -> None:
        """The session ended normally: the recording is complete, then the call ends."""
        self._session.stream_stopped()
        hang_up(self._services, self.account_id, self.call_id)
        self._session.end()


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
        participants = metadata.participants
        call, _ = open_recorded_call(
            self._services,
            source.account_id,
            call_id=None,
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
        session = self._services.live.session(source.account_id, call.call_id)
        session.on_call_ended = on_ended
        session.start_tracks({track: 8000 for track in tracks})
        return SiprecCall(self._services, source.account_id, call.call_id, session)
