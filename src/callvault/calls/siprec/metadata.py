"""Recording metadata (``application/rs-metadata+xml``, RFC 7865) and the multipart body that
carries it with the SDP (RFC 7866 section 8). Pure.

What callvault takes from the metadata:

* the recording session's id (``<session session_id>``, base64 of a UUID per RFC 7865) and the
  communication session's identity: ``<sipSessionID>`` (the Session-ID of RFC 7989) and the
  original call's Call-ID where the client reports one in extension data (an element whose local
  name is ``callId``, ``call-id`` or ``callid``, as BroadWorks, Cisco and FreeSWITCH spell it);
* the participants in document order, each with the AoR of its ``<nameID>``: the first is the
  caller, the second the callee;
* which participant sends which stream (``<participantstreamassoc>``/``<send>``), and each
  stream's SDP ``label``;
* the start time: the session's ``<start-time>``, else the earliest ``<associate-time>``.

The XML is parsed with defusedxml (no DTDs, entities or external references).
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from callvault.calls.siprec.sip import BadRequest, SipError, UnsupportedMediaType
from callvault.domain.errors import ValidationFailed
from callvault.domain.timefmt import parse_iso_time

__all__ = [
    "ACCEPTED_BODIES",
    "METADATA_TYPE",
    "MalformedMetadata",
    "MetadataError",
    "Participant",
    "RecordingMetadata",
    "SiprecBody",
    "UnsupportedBody",
    "e164_or_aor",
    "parse_metadata",
    "split_siprec_body",
]

METADATA_TYPE = "application/rs-metadata+xml"
SDP_TYPE = "application/sdp"
ACCEPTED_BODIES = f"{SDP_TYPE}, {METADATA_TYPE}, multipart/mixed"
NAMESPACE = "urn:ietf:params:xml:ns:recording:1"
MAX_METADATA_BYTES = 64 * 1024
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_CALL_ID_NAMES = frozenset({"callid", "call-id"})


class MetadataError(SipError):
    """The body or its metadata is malformed (:class:`MalformedMetadata`, 400) or of a type
    callvault cannot take (:class:`UnsupportedBody`, 415)."""


class MalformedMetadata(MetadataError, BadRequest):
    pass


class UnsupportedBody(MetadataError, UnsupportedMediaType):
    """415; the response says what callvault accepts."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=[("Accept", ACCEPTED_BODIES)])


@dataclass(frozen=True)
class Participant:
    participant_id: str
    aor: str | None
    name: str | None = None
    sends: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordingMetadata:
    session_id: str | None
    sip_session_id: str | None
    original_call_id: str | None
    start_time: datetime | None
    participants: tuple[Participant, ...]
    stream_labels: dict[str, str] = field(default_factory=dict)
    """stream_id -> SDP label."""

    def sender_of_label(self, label: str | None) -> int | None:
        """The index (0-based, document order) of the participant sending the stream `label`."""
        if label is None:
            return None
        for index, participant in enumerate(self.participants):
            if any(self.stream_labels.get(stream) == label for stream in participant.sends):
                return index
        return None


@dataclass(frozen=True)
class SiprecBody:
    sdp: bytes
    metadata: bytes | None


def split_siprec_body(content_type: str, body: bytes) -> SiprecBody:
    """The SDP and metadata parts of an INVITE body: ``multipart/mixed`` with both (an initial
    INVITE), or ``application/sdp`` alone (a re-INVITE that changes only the media)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == SDP_TYPE:
        return SiprecBody(body, None)
    if media_type != "multipart/mixed":
        raise UnsupportedBody(f"Unsupported body type {media_type or 'none'!r}")
    document = b"Content-Type: " + content_type.encode("utf-8", "replace") + b"\r\n\r\n" + body
    # compat32: the parts' raw headers and bytes are all this needs; the modern policies parse every
    # header into objects, 9x the cost (730 us an INVITE)
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(document)
    parts = message.get_payload() if message.is_multipart() else None
    if not parts or not isinstance(parts, list):
        raise MalformedMetadata("multipart/mixed body has no boundary or no parts")
    sdp: bytes | None = None
    metadata: bytes | None = None
    for part in parts:
        if not isinstance(part, email.message.Message):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        part_type = part.get_content_type()
        if part_type == SDP_TYPE and sdp is None:
            sdp = payload
        elif part_type == METADATA_TYPE and metadata is None:
            metadata = payload
    if sdp is None:
        raise MalformedMetadata("multipart body has no application/sdp part")
    if metadata is None:
        raise UnsupportedBody(f"multipart body has no {METADATA_TYPE} part")
    return SiprecBody(sdp, metadata)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _first(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def parse_metadata(document: bytes) -> RecordingMetadata:
    """Parse an rs-metadata document; :class:`MalformedMetadata` (400) for anything malformed."""
    if len(document) > MAX_METADATA_BYTES:
        raise MalformedMetadata(f"recording metadata is larger than {MAX_METADATA_BYTES} bytes")
    try:
        root = fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DefusedXmlException, ParseError) as exc:
        raise MalformedMetadata(f"recording metadata is malformed or unsafe XML: {exc}") from None
    if root.tag != f"{{{NAMESPACE}}}recording":
        raise MalformedMetadata(f"recording metadata root must be <recording xmlns='{NAMESPACE}'>")
    session = _first(root, "session")
    session_id = session.get("session_id") if session is not None else None
    sip_session_id = _text(_first(session, "sipSessionID")) if session is not None else None
    participants = tuple(_participant(element, root) for element in _children(root, "participant"))
    labels = {}
    for stream in _children(root, "stream"):
        stream_id = stream.get("stream_id")
        label = _text(_first(stream, "label"))
        if stream_id and label:
            labels[stream_id] = label
    return RecordingMetadata(
        session_id=session_id,
        sip_session_id=sip_session_id,
        original_call_id=_original_call_id(root),
        start_time=_start_time(root, session),
        participants=participants,
        stream_labels=labels,
    )


def _participant(element: Element, root: Element) -> Participant:
    participant_id = element.get("participant_id")
    if not participant_id:
        raise MalformedMetadata("a <participant> has no participant_id")
    name_id = _first(element, "nameID")
    aor = name_id.get("aor") if name_id is not None else None
    name = _text(_first(name_id, "name")) if name_id is not None else None
    sends: list[str] = [text for send in _children(element, "send") if (text := _text(send))]
    for association in _children(root, "participantstreamassoc"):
        if association.get("participant_id") == participant_id:
            sends += [text for send in _children(association, "send") if (text := _text(send))]
    return Participant(participant_id, aor, name, tuple(sends))


def _original_call_id(root: Element) -> str | None:
    for element in root.iter():
        if _local(element.tag).lower() in _CALL_ID_NAMES and (text := _text(element)):
            return text[:256]
    return None


def _start_time(root: Element, session: Element | None) -> datetime | None:
    candidates = []
    if session is not None:
        candidates.append(_text(_first(session, "start-time")))
    candidates += [_text(element) for element in root.iter() if _local(element.tag) == "associate-time"]
    times = []
    for candidate in candidates:
        if candidate:
            try:
                times.append(parse_iso_time(candidate, "start-time"))
            except ValidationFailed:
                raise MalformedMetadata(
                    f"recording metadata time {candidate[:40]!r} is not ISO 8601"
                ) from None
    return min(times) if times else None


def e164_or_aor(aor: str | None) -> str | None:
    """``sip:+15551234567@host`` or ``tel:+15551234567`` -> ``+15551234567``; another AoR as it is."""
    if aor is None:
        return None
    scheme, _, rest = aor.partition(":")
    if scheme.lower() in ("sip", "sips", "tel"):
        user = rest.split("@", 1)[0].split(";", 1)[0]
        if _E164.fullmatch(user):
            return user
    return aor[:64]
