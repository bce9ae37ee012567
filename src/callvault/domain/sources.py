"""Where live audio comes from when the call runs elsewhere: SIPREC clients, media-stream tokens,
and the recording settings an account applies to the calls they bring. Pure records and rules.

A recording made from such a call keeps its origin in ``Recording.source`` (the ``source`` field
of the recording's metadata on the wire), for example::

    {"type": "siprec", "sessionId": "hVpd7YQgRW2nD22h7q60JQ==", "callId": "orig-call@pbx",
     "sipSessionId": "ab30317f...", "sourceName": "sbc-1"}
    {"type": "twilio", "callSid": "CA...", "streamSid": "MZ...", "customParameters": {...}}

Which SIP source a request belongs to when several cover its address (:func:`network_source` and
the listener's digest check): valid credentials name their source first; without credentials, the
source without credentials whose network is the most specific (longest prefix) covering the
address. Two sources without credentials may not share a network (:func:`shared_networks`), so
that choice is never a tie.
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
    "network_source",
    "overlapping_sources",
    "shared_networks",
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
        return self.specificity(address) is not None

    def specificity(self, address: str) -> int | None:
        """The prefix length of this source's most specific network covering `address` (-1 when
        the source takes any address); None when it does not cover it."""
        if not self.networks:
            return -1
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        lengths = [network.prefixlen for network in self._parsed_networks if ip in network]
        return max(lengths) if lengths else None

    def overlaps(self, other: SipSource) -> bool:
        """Whether some address is covered by both sources."""
        if not self.networks or not other.networks:
            return True
        return any(
            mine.version == theirs.version and mine.overlaps(theirs)  # type: ignore[arg-type]
            for mine in self._parsed_networks
            for theirs in other._parsed_networks
        )


def network_source(sources: list[SipSource], address: str) -> SipSource | None:
    """Among `sources`, the one without credentials whose network covering `address` is the most
    specific; None when none without credentials covers it."""
    ranked = [
        (specificity, source)
        for source in sources
        if source.username is None and (specificity := source.specificity(address)) is not None
    ]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def shared_networks(new: SipSource, existing: list[SipSource]) -> list[tuple[SipSource, str]]:
    """The sources without credentials that list one of `new`'s networks too, when `new` has no
    credentials either (such a pair would make an address's source a tie)."""
    if new.username is not None:
        return []
    return [
        (source, network)
        for source in existing
        if source.username is None
        for network in source.networks
        if network in new.networks
    ]


def overlapping_sources(new: SipSource, existing: list[SipSource]) -> list[SipSource]:
    """The sources covering some address `new` covers too."""
    return [source for source in existing if source.overlaps(new)]


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
