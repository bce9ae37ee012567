"""One recording session's SIP dialog as the listener keeps it: the INVITE that created it, the
source and address it belongs to, the connection it uses, its session and RTP ports; and the SIP
work done for it alone (the 2xx retransmitted until the ACK, the BYE that ends it)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from callvault.api.sip.responses import T1, TRANSACTION_SECONDS
from callvault.api.sip.rtp_ports import RtpReceiver
from callvault.api.sip.transport import Peer
from callvault.calls.siprec.session import RecordingSession, SessionRecording, build_bye
from callvault.calls.siprec.sip import SipRequest
from callvault.domain.sources import SipSource

__all__ = ["Dialog", "bracketed"]


def bracketed(address: str) -> str:
    """An address as the host part of a SIP URI or Via (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


@dataclass(eq=False)
class Dialog:
    invite: SipRequest
    local_tag: str
    source: SipSource
    origin: str
    """The address that created the dialog."""
    peer: Peer
    session: RecordingSession
    receiver: RtpReceiver
    call: SessionRecording | None = None
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    call_in_use: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while the call is told of a hold, a resume or the end, so it hears them in order."""
    ending: bool = False
    local_cseq: int = 0
    reinvite_in_progress: int | None = None
    """The CSeq number of the re-INVITE being handled (no final response yet), if any."""

    @property
    def sip_call_id(self) -> str:
        return self.invite.call_id

    def key(self) -> tuple[str, str]:
        return self.sip_call_id, self.invite.from_tag or ""

    def needs_credentials_from(self, address: str) -> bool:
        """Whether an in-dialog request from `address` must prove it is the dialog's source: it
        comes from elsewhere than the INVITE did, and that source has credentials."""
        return address != self.origin and self.source.username is not None

    def use_peer(self, peer: Peer) -> None:
        """Answer and send the BYE over `peer` from now on (it carries this session)."""
        if peer is not self.peer:
            self.peer.sessions -= 1
            self.peer = peer
            peer.sessions += 1

    async def retransmit_until_ack(self, data: bytes) -> bool:
        """Send the 2xx `data` again, doubling the interval, until the ACK comes (True) or the
        transaction times out (False)."""
        interval = T1
        deadline = time.monotonic() + TRANSACTION_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.confirmed.wait(), interval)
                return True
            if self.ending:
                return True
            self.peer.send(data)
            interval = min(interval * 2, 4.0)
        return False

    def send_bye(self, via_host: str, port: int | None) -> None:
        self.local_cseq += 1
        via = f"SIP/2.0/{self.peer.transport_name} {bracketed(via_host)}:{port}"
        self.peer.send(
            build_bye(self.invite, local_tag=self.local_tag, cseq=self.local_cseq, via=via).to_bytes()
        )
