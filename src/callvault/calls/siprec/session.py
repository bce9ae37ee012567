"""A SIPREC session's rules, apart from SIP transactions and sockets. Pure: like
:mod:`callvault.calls.siprec.media`, the listener passes offers, datagrams and the time in, and
the audio goes out to the :class:`SessionRecording` it attaches.

The rules:

* which offered stream records on which track (:func:`stream_plans`): the caller's stream (the
  first participant's, by the metadata's ``participantstreamassoc``) is ``inbound``, the other's
  ``outbound``; without that in the metadata, SDP order decides. Only those streams get ports;
  every other m-line is answered with port 0 (RFC 3264 section 6);
* what counts as held (:func:`is_held`): every accepted stream sends nothing to the recording
  server, that is its offered direction is ``inactive`` (the SRC's pause, RFC 7866 section 9) or
  ``recvonly`` (the SRC would only receive; a recording server never sends, so no audio flows);
* when a session must end (:meth:`RecordingSession.expiry`): no RTP for ``media_timeout`` seconds
  while not held, held for longer than ``max_hold``, or longer than ``max_length`` in all;
* the BYE callvault sends to end a session itself (:func:`build_bye`).

What the listener needs from the use cases behind it (``services.siprec``) is the pair of
protocols :class:`SessionRecordings` (who may record, open a session's call) and
:class:`SessionRecording` (one session's call).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from callvault.calls.rtp import RtpStats
from callvault.calls.siprec.media import SiprecMedia, StreamPlan
from callvault.calls.siprec.metadata import RecordingMetadata
from callvault.calls.siprec.sdp import SessionDescription, answer_offer
from callvault.calls.siprec.sip import NotAcceptableHere, SipRequest, build_request
from callvault.domain.sources import SipSource

__all__ = [
    "TRACKS",
    "RecordingSession",
    "SessionLimits",
    "SessionRecording",
    "SessionRecordings",
    "build_bye",
    "is_held",
    "stream_plans",
]

TRACKS = ("inbound", "outbound")


class SessionRecording(Protocol):
    """A SIPREC session's call being recorded (the use cases behind it live in ``services``)."""

    call_id: str

    def add_audio(self, track: str, samples: np.ndarray, *, at: int | None = None) -> None:
        """Record `samples` on `track` (at sample position `at` of the track's media clock, or
        right after what it has); cheap, called on the event loop."""

    def hold(self) -> None:
        """The client paused the recording (blocking: run off the loop)."""

    def resume(self) -> None:
        """The client resumed it (blocking)."""

    def end(self) -> None:
        """The session is over: finish the recording, end the call (blocking)."""


class SessionRecordings(Protocol):
    """Who may record, and the calls their sessions become."""

    def sources_for(self, address: str) -> list[SipSource]:
        """The SIP sources whose networks cover `address` (cheap: from memory)."""

    def open(
        self,
        source: SipSource,
        metadata: RecordingMetadata,
        tracks: tuple[str, ...],
        sip_call_id: str,
        on_ended: Callable[[], None],
    ) -> SessionRecording:
        """Create the call and its recording (blocking). `on_ended` runs, on any thread, when the
        call ends other than through this session (the API hung it up)."""


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may go on (seconds): without RTP while not held, held, and in all."""

    media_timeout: float = 30.0
    max_hold: float = 3600.0
    max_length: float = 4 * 3600.0


def is_held(offer: SessionDescription) -> bool:
    """Whether the client paused the recording: every accepted stream sends nothing to us."""
    audio = [media for media in offer.media if media.acceptable]
    return bool(audio) and all(media.sends_nothing for media in audio)


def stream_plans(offer: SessionDescription, metadata: RecordingMetadata) -> list[StreamPlan]:
    """Tracks for the accepted streams (at most one per track, in SDP order): see the module
    docstring for which stream records on which track."""
    accepted = [(index, media) for index, media in enumerate(offer.media) if media.acceptable][: len(TRACKS)]
    senders = [metadata.sender_of_label(media.label) for _, media in accepted]
    if sorted(s for s in senders if s is not None) == [0, 1] or (len(accepted) == 1 and senders == [0]):
        order = [sender for sender in senders if sender is not None]
    else:
        order = list(range(len(accepted)))
    plans = []
    for (index, media), track_index in zip(accepted, order, strict=True):
        codec = media.chosen_audio_codec()
        event = media.telephone_event()
        assert codec is not None
        plans.append(StreamPlan(index, TRACKS[track_index], codec, event.payload_type if event else None))
    return plans


def _nowhere(*_: object, **__: object) -> None:
    """Audio before the session's call exists has nowhere to go (none arrives: no port is known yet)."""


class RecordingSession:
    """One SIPREC session: its streams and tracks, hold state and limits. Not thread-safe: drive it
    from one event loop."""

    def __init__(
        self,
        offer: SessionDescription,
        metadata: RecordingMetadata,
        limits: SessionLimits,
        *,
        now: float,
        jitter_delay: float = 0.06,
    ) -> None:
        self.plans = stream_plans(offer, metadata)
        if not self.plans:
            raise NotAcceptableHere("no PCMU or PCMA audio stream")
        self.offer = offer
        self.media = SiprecMedia(self.plans, _nowhere, jitter_delay=jitter_delay)
        self.limits = limits
        self.started_at = now
        self.held_since: float | None = None
        self._quiet_since = now
        self.answer_version = 0
        self.answer_session_id = secrets.randbelow(1 << 31)

    @property
    def stream_indexes(self) -> list[int]:
        """The m-line index of each accepted stream (each needs an RTP port)."""
        return [plan.index for plan in self.plans]

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(plan.track for plan in self.plans)

    @property
    def held(self) -> bool:
        return self.held_since is not None

    def attach(self, recording: SessionRecording) -> None:
        """Send the session's audio to `recording` from now on."""

        def add_audio(track: str, samples: np.ndarray, at: int | None = None) -> None:
            if at is None:
                recording.add_audio(track, samples)
            else:
                recording.add_audio(track, samples, at=at)

        self.media.set_output(add_audio)

    def datagram(self, index: int, data: bytes, now: float) -> None:
        """A datagram arrived on the port of m-line `index`."""
        self.media.datagram(index, data, now)

    def renegotiate(self, offer: SessionDescription) -> None:
        """Take a re-INVITE's offer (:class:`NotAcceptableHere` when it changes the streams)."""
        if len(offer.media) < len(self.offer.media):
            raise NotAcceptableHere("a re-INVITE may not remove m-lines")
        if len(offer.media) > len(self.offer.media):
            raise NotAcceptableHere("callvault does not take streams added to a session")
        self.offer = offer

    def answer(self, ports: dict[int, int], *, address: str) -> bytes:
        """The SDP answer to the current offer: each accepted stream on its port, the rest refused."""
        self.answer_version += 1
        body, _ = answer_offer(
            self.offer,
            [ports.get(index, 0) for index in range(len(self.offer.media))],
            address=address,
            session_id=self.answer_session_id,
            version=self.answer_version,
        )
        return body

    def hold(self, now: float) -> None:
        """The client paused: flush what the streams hold, then drop their packets."""
        self.media.hold()
        self.held_since = now

    def resume(self, now: float) -> None:
        """The client resumed: the media timeout counts from now."""
        self.media.resume()
        self.held_since = None
        self._quiet_since = now

    def tick(self, now: float) -> None:
        """Release what the streams' jitter buffers let go at `now`."""
        self.media.tick(now)

    def expiry(self, now: float) -> str | None:
        """Why the session must end at `now` (a sentence for the log), or None while it may go on."""
        limits = self.limits
        if now - self.started_at > limits.max_length:
            return f"longer than the maximum session length ({limits.max_length:.0f} s)"
        if self.held_since is not None:
            if now - self.held_since > limits.max_hold:
                return f"held longer than the maximum hold time ({limits.max_hold:.0f} s)"
            return None
        quiet = now - max(self._quiet_since, self.media.last_packet_at or self._quiet_since)
        if quiet > limits.media_timeout:
            return f"no RTP for {quiet:.0f} s"
        return None

    def finish(self) -> None:
        """The session ends: release everything the streams hold."""
        self.media.flush()

    def stats(self) -> dict[str, RtpStats]:
        return self.media.stats()


def build_bye(
    invite: SipRequest, *, local_tag: str, cseq: int, via: str, routes: Sequence[str] = ()
) -> SipRequest:
    """The BYE that ends the dialog `invite` created, from callvault's side (RFC 3261 section
    15.1.1): to the client's Contact, along its Record-Route, with From and To swapped."""
    contact = invite.header("Contact") or invite.header("From") or ""
    target = contact.split("<", 1)[1].split(">", 1)[0] if "<" in contact else contact.split(";", 1)[0]
    headers = [
        ("Via", f"{via};rport;branch=z9hG4bK{secrets.token_hex(8)}"),
        ("Max-Forwards", "70"),
        ("From", f"{invite.require('To')};tag={local_tag}"),
        ("To", invite.require("From")),
        ("Call-ID", invite.call_id),
        ("CSeq", f"{cseq} BYE"),
        *[("Route", route) for route in routes or invite.header_values("Record-Route")],
    ]
    return build_request("BYE", target.strip(), headers)
