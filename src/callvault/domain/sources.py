"""Where live audio comes from when the call runs elsewhere: SIPREC clients, media-stream tokens,
and the recording settings an account applies to the calls they bring. Pure records and rules.

A recording made from such a call keeps its origin in ``Recording.source`` (the ``source`` field
of the recording's metadata on the wire), for example::

    {"type": "siprec", "sessionId": "hVpd7YQgRW2nD22h7q60JQ==", "callId": "orig-call@pbx",
     "sipSessionId": "ab30317f...", "sourceName": "sbc-1"}
    {"type": "twilio", "callSid": "CA...", "streamSid": "MZ...", "customParameters": {...}}
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Literal

__all__ = [
    "AccountRecordingSettings",
    "SipSource",
    "StreamToken",
    "hash_stream_token",
    "new_stream_token",
    "parse_networks",
]

STREAM_TOKEN_PREFIX = "cvst_"


@dataclass(frozen=True)
class SipSource:
    """A SIPREC client: the account its sessions belong to, the networks it may send from (empty:
    any), and digest credentials it must answer a challenge with (None: no challenge)."""

    name: str
    account_id: str
    networks: tuple[str, ...] = ()
    username: str | None = None
    ha1: str | None = None
    created_at: datetime | None = None

    @cached_property
    def _parsed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(network) for network in self.networks)

    def matches_address(self, address: str) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._parsed_networks)


@dataclass(frozen=True)
class StreamToken:
    token_id: int
    name: str
    account_id: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class AccountRecordingSettings:
    """How an account records calls it did not create through the API (SIPREC, CPaaS streams):
    the fields of a ``<StartRecording>`` verb. Multichannel by default, like a SIPREC recording's
    two streams deserve."""

    file_format: Literal["wav", "mp3"] = "wav"
    multi_channel: bool = True
    recording_available_url: str | None = None
    recording_available_method: Literal["GET", "POST"] = "POST"
    username: str | None = None
    password: str | None = None
    tag: str | None = None
    transcribe: bool = False
    transcription_available_url: str | None = None
    transcription_available_method: Literal["GET", "POST"] = "POST"
    detect_language: bool = False


def parse_networks(values: list[str]) -> tuple[str, ...]:
    """Normalised CIDRs (``10.0.0.7`` -> ``10.0.0.7/32``); ValueError naming a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR network: {value!r}") from None
    return tuple(networks)


def new_stream_token() -> str:
    return STREAM_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_stream_token(token: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 (no salt, no stretching) keeps them safe at rest."""
    return hashlib.sha256(token.encode()).hexdigest()
