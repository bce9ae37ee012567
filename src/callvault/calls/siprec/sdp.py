"""SDP (RFC 8866) offers from a recording client, and the recording server's answers. Pure.

A SIPREC offer has one ``m=audio`` line per recorded stream, each usually labelled (``a=label``,
RFC 4574) so the recording metadata can name it. The answer keeps the m-lines in order: an
accepted stream gets a port from the server's range, the one codec chosen (PCMU, else PCMA), and
``telephone-event`` when offered; a stream with neither codec, or not plain RTP/AVP audio, or one
the server has no port for, is refused with port 0 (RFC 3264 section 6). The direction answered is
``recvonly``, or ``inactive`` when the offer sends nothing to the server: ``a=inactive`` (the SRC's
pause, RFC 7866 section 9) or ``a=recvonly`` (the SRC would only receive, and a recording server
never sends: RFC 3264 section 6.1 allows only ``inactive`` in answer).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from callvault.calls.siprec.sip import NotAcceptableHere

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


class SdpError(NotAcceptableHere):
    """The body is not SDP we can answer (488 Not Acceptable Here)."""


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
    def sends_nothing(self) -> bool:
        """Whether the offerer sends no media on this stream (``inactive`` or ``recvonly``)."""
        return self.direction in ("inactive", "recvonly")

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
    """Parse an SDP body; :class:`SdpError` for anything malformed. Each line is handed to the
    handler its type names in ``_LINE_HANDLERS``; a type with none (``s=``, ``t=``, ``b=``...) is
    skipped."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise SdpError("SDP must start with v=0")
    parsed = _Parsed()
    for line in lines[1:]:
        match = _LINE.fullmatch(line)
        if not match:
            raise SdpError(f"malformed SDP line {line[:40]!r}")
        kind, value = match.groups()
        handler = _LINE_HANDLERS.get(kind)
        if handler is not None:
            handler(parsed, value)
    return parsed.finish()


@dataclass
class _Parsed:
    """What the lines so far said; an ``a=`` or ``c=`` line belongs to the last ``m=`` line, or to
    the session before the first."""

    origin: str | None = None
    connection: str | None = None
    direction: Direction = "sendrecv"
    media: list[MediaDescription] = field(default_factory=list)

    def finish(self) -> SessionDescription:
        if self.origin is None:
            raise SdpError("SDP has no o= line")
        if not self.media:
            raise SdpError("SDP has no m= line")
        for description in self.media:
            if description.acceptable and (description.connection or self.connection) is None:
                raise SdpError("an audio stream has no c= connection address")
        return SessionDescription(self.origin, self.connection, self.direction, self.media)


def _origin_line(parsed: _Parsed, value: str) -> None:
    parsed.origin = value


def _connection_line(parsed: _Parsed, value: str) -> None:
    address = _connection(value)
    if parsed.media:
        parsed.media[-1].connection = address
    else:
        parsed.connection = address


def _media_line(parsed: _Parsed, value: str) -> None:
    if len(parsed.media) >= MAX_STREAMS:
        raise SdpError(f"more than {MAX_STREAMS} media streams")
    parsed.media.append(_media(value, parsed.direction))


def _attribute_line(parsed: _Parsed, value: str) -> None:
    name, _, argument = value.partition(":")
    current = parsed.media[-1] if parsed.media else None
    if name in _DIRECTIONS:
        direction = cast(Direction, name)
        if current is None:
            parsed.direction = direction
        else:
            current.direction = direction
    elif current is not None and name in _MEDIA_ATTRIBUTES:
        _MEDIA_ATTRIBUTES[name](current, argument.strip())


def _rtpmap(media: MediaDescription, argument: str) -> None:
    match = _RTPMAP.fullmatch(argument)
    if not match:
        raise SdpError(f"malformed a=rtpmap {argument[:40]!r}")
    media.rtpmap[int(match.group(1))] = (match.group(2), int(match.group(3)))


def _label(media: MediaDescription, argument: str) -> None:
    media.label = argument


_LINE_HANDLERS: dict[str, Callable[[_Parsed, str], None]] = {
    "o": _origin_line,
    "c": _connection_line,
    "m": _media_line,
    "a": _attribute_line,
}
_MEDIA_ATTRIBUTES: dict[str, Callable[[MediaDescription, str], None]] = {"rtpmap": _rtpmap, "label": _label}


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


def answer_offer(
    offer: SessionDescription,
    ports: Sequence[int],
    *,
    address: str,
    session_id: int,
    version: int,
) -> tuple[bytes, list[Codec | None]]:
    """The answer to `offer`, with ``ports[i]`` for its i-th m-line (0: refuse it), and the codec
    each accepted stream will carry (None for a refused one). :class:`SdpError` when no stream is
    accepted."""
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
        codec = media.chosen_audio_codec() if media.acceptable and port else None
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
        lines.append("a=inactive" if media.sends_nothing else "a=recvonly")
    if not any(codecs):
        raise SdpError("no offered stream is RTP/AVP audio with PCMU or PCMA")
    return ("\r\n".join(lines) + "\r\n").encode(), codecs
