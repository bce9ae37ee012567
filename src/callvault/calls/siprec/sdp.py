"""SDP (RFC 8866) offers from a recording client, and the recording server's answers. Pure.

A SIPREC offer has one ``m=audio`` line per recorded stream, each usually labelled (``a=label``,
RFC 4574) so the recording metadata can name it. The answer keeps the m-lines in order: an
accepted stream gets a port from the server's range, the one codec chosen (PCMU, else PCMA), and
``telephone-event`` when offered; a stream with neither codec, or not plain RTP/AVP audio, is
refused with port 0 (RFC 3264 section 6). The direction answered is ``recvonly``, or ``inactive``
when the client puts the stream on hold (the SRC's pause, RFC 7866 section 9).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Codec",
    "MediaDescription",
    "SdpError",
    "SessionDescription",
    "answer_offer",
    "parse_sdp",
]

Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
_DIRECTIONS: tuple[Direction, ...] = ("sendrecv", "sendonly", "recvonly", "inactive")
_STATIC_PAYLOADS = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}
_CODEC_PREFERENCE = ("PCMU", "PCMA")
_LINE = re.compile(r"([a-z])=(.*)")
_MEDIA = re.compile(r"(\w+) (\d{1,5})(?:/\d+)? ([\w/]+)((?: \S+)*)")
_RTPMAP = re.compile(r"(\d{1,3}) ([\w.-]+)/(\d+)(?:/\d+)?")
_CONNECTION = re.compile(r"IN IP[46] ([0-9A-Fa-f.:]+)(?:/\d+)*")
MAX_STREAMS = 8


class SdpError(ValueError):
    """The body is not SDP we can answer (the server replies 488 Not Acceptable Here)."""


@dataclass(frozen=True)
class Codec:
    payload_type: int
    name: str
    clock_rate: int


@dataclass
class MediaDescription:
    media: str
    port: int
    proto: str
    formats: list[int]
    connection: str | None = None
    label: str | None = None
    direction: Direction = "sendrecv"
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)

    def codec(self, payload_type: int) -> Codec | None:
        name_rate = self.rtpmap.get(payload_type) or _STATIC_PAYLOADS.get(payload_type)
        return Codec(payload_type, name_rate[0], name_rate[1]) if name_rate else None

    def chosen_audio_codec(self) -> Codec | None:
        """PCMU, else PCMA at 8000 Hz, among the offered formats; None when neither is offered."""
        offered = [codec for pt in self.formats if (codec := self.codec(pt)) is not None]
        for name in _CODEC_PREFERENCE:
            for codec in offered:
                if codec.name.upper() == name and codec.clock_rate == 8000:
                    return codec
        return None

    def telephone_event(self) -> Codec | None:
        for pt in self.formats:
            codec = self.codec(pt)
            if codec is not None and codec.name.lower() == "telephone-event" and codec.clock_rate == 8000:
                return codec
        return None

    @property
    def acceptable(self) -> bool:
        return (
            self.media == "audio"
            and self.port != 0
            and self.proto == "RTP/AVP"
            and self.chosen_audio_codec() is not None
        )


@dataclass
class SessionDescription:
    origin: str
    connection: str | None
    direction: Direction
    media: list[MediaDescription]

    def address_of(self, media: MediaDescription) -> str | None:
        return media.connection or self.connection


def parse_sdp(body: bytes) -> SessionDescription:
    """Parse an SDP body; :class:`SdpError` for anything malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise SdpError("SDP must start with v=0")
    origin: str | None = None
    session_connection: str | None = None
    session_direction: Direction = "sendrecv"
    media: list[MediaDescription] = []
    for line in lines[1:]:
        match = _LINE.fullmatch(line)
        if not match:
            raise SdpError(f"malformed SDP line {line[:40]!r}")
        kind, value = match.groups()
        current = media[-1] if media else None
        if kind == "o":
            origin = value
        elif kind == "c":
            address = _connection(value)
            if current is None:
                session_connection = address
            else:
                current.connection = address
        elif kind == "m":
            if len(media) >= MAX_STREAMS:
                raise SdpError(f"more than {MAX_STREAMS} media streams")
            media.append(_media(value, session_direction))
        elif kind == "a":
            direction = _attribute(current, value)
            if direction is not None and current is None:
                session_direction = direction
    if origin is None:
        raise SdpError("SDP has no o= line")
    if not media:
        raise SdpError("SDP has no m= line")
    for description in media:
        if description.acceptable and (description.connection or session_connection) is None:
            raise SdpError("an audio stream has no c= connection address")
    return SessionDescription(origin, session_connection, session_direction, media)


def _connection(value: str) -> str:
    match = _CONNECTION.fullmatch(value.strip())
    if not match:
        raise SdpError(f"malformed c= line {value[:40]!r}")
    try:
        return str(ipaddress.ip_address(match.group(1)))
    except ValueError:
        raise SdpError(f"c= address {match.group(1)!r} is not an IP address") from None


def _media(value: str, direction: Direction) -> MediaDescription:
    match = _MEDIA.fullmatch(value.strip())
    if not match:
        raise SdpError(f"malformed m= line {value[:40]!r}")
    media_type, port, proto, formats = match.groups()
    if int(port) > 65535:
        raise SdpError(f"m= port {port} is out of range")
    payload_types: list[int] = []
    for token in formats.split():
        if proto.startswith("RTP/"):
            if not token.isdigit() or int(token) > 127:
                raise SdpError(f"RTP payload type {token[:10]!r} is not 0-127")
            payload_types.append(int(token))
    return MediaDescription(media_type, int(port), proto, payload_types, direction=direction)


def _attribute(current: MediaDescription | None, value: str) -> Direction | None:
    name, _, argument = value.partition(":")
    if name in _DIRECTIONS:
        if current is not None:
            current.direction = name  # type: ignore[assignment]
        return name  # type: ignore[return-value]
    if current is None:
        return None
    if name == "rtpmap":
        match = _RTPMAP.fullmatch(argument.strip())
        if not match:
            raise SdpError(f"malformed a=rtpmap {argument[:40]!r}")
        current.rtpmap[int(match.group(1))] = (match.group(2), int(match.group(3)))
    elif name == "label":
        current.label = argument.strip()
    return None


def answer_offer(
    offer: SessionDescription,
    ports: Sequence[int],
    *,
    address: str,
    session_id: int,
    version: int,
) -> tuple[bytes, list[Codec | None]]:
    """The answer to `offer`, with ``ports[i]`` for its i-th m-line, and the codec each accepted
    stream will carry (None for a refused one). :class:`SdpError` when no stream is acceptable."""
    if len(ports) < len(offer.media):
        raise ValueError("one port per offered m-line is needed")
    family = "IP6" if ":" in address else "IP4"
    lines = [
        "v=0",
        f"o=callvault {session_id} {version} IN {family} {address}",
        "s=callvault",
        f"c=IN {family} {address}",
        "t=0 0",
    ]
    codecs: list[Codec | None] = []
    for media, port in zip(offer.media, ports, strict=False):
        codec = media.chosen_audio_codec() if media.acceptable else None
        codecs.append(codec)
        if codec is None:
            formats = " ".join(str(pt) for pt in media.formats) or "0"
            lines.append(f"m={media.media} 0 {media.proto} {formats}")
            continue
        event = media.telephone_event()
        chosen = [codec] + ([event] if event else [])
        lines.append(f"m=audio {port} RTP/AVP {' '.join(str(c.payload_type) for c in chosen)}")
        lines += [f"a=rtpmap:{c.payload_type} {c.name}/{c.clock_rate}" for c in chosen]
        if media.label is not None:
            lines.append(f"a=label:{media.label}")
        lines.append("a=inactive" if media.direction in ("inactive", "recvonly") else "a=recvonly")
    if not any(codecs):
        raise SdpError("no offered stream is RTP/AVP audio with PCMU or PCMA")
    return ("\r\n".join(lines) + "\r\n").encode(), codecs
