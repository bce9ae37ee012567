"""rs-metadata and the multipart SIPREC body (callvault.calls.siprec.metadata)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from callvault.calls.siprec.metadata import MetadataError, e164_or_aor, parse_metadata, split_siprec_body
from support.siprec import metadata_xml, multipart, offer_sdp


def test_multipart_body_and_metadata() -> None:
    content_type, body = multipart(offer_sdp("10.0.0.1", (4000, 4002)), metadata_xml())
    parts = split_siprec_body(content_type, body)
    assert parts.sdp.startswith(b"v=0\r\n") and parts.metadata is not None
    metadata = parse_metadata(parts.metadata)
    assert metadata.session_id == "hVpd7YQgRW2nD22h7q60JQ=="
    assert metadata.sip_session_id is not None and metadata.sip_session_id.startswith("ab30317f")
    assert metadata.original_call_id == "orig-call-1@pbx.example.com"
    assert metadata.start_time == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert [p.aor for p in metadata.participants] == [
        "sip:+15551230001@pbx.example.com",
        "sip:+15551230002@pbx.example.com",
    ]
    assert metadata.participants[0].name == "Caller"
    assert metadata.sender_of_label("1") == 0 and metadata.sender_of_label("2") == 1
    assert metadata.sender_of_label("9") is None


def test_sdp_alone_is_a_media_only_reinvite() -> None:
    parts = split_siprec_body("application/sdp", b"v=0\r\n")
    assert parts.metadata is None


def _parts(*parts: tuple[bytes, bytes], end: bool = True) -> bytes:
    body = b"".join(b"--b\r\n" + headers + b"\r\n\r\n" + content + b"\r\n" for headers, content in parts)
    return body + (b"--b--\r\n" if end else b"")


_SDP = offer_sdp("127.0.0.1", (4000, 4002)).encode()
_METADATA = metadata_xml(caller="sip:Zoë Ünïcode <+15551230001@pbx.example.com>").encode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/mixed;boundary=b",
            _parts(
                (b"Content-Type: application/sdp", _SDP),
                (
                    b"Content-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session",
                    _METADATA,
                ),
            ),
        ),
        (
            'multipart/mixed; boundary="b"',
            _parts(
                (b"content-type: Application/SDP; charset=utf-8", _SDP),
                (b"Content-Type:   application/RS-metadata+xml ;x=1", _METADATA),
            ),
        ),
        (
            "multipart/mixed;boundary=b",
            _parts(
                (b"Content-Type:\r\n application/sdp\r\nX-Note: \xe9", _SDP),
                (
                    b"Content-Type: application/rs-metadata+xml\r\nContent-Transfer-Encoding: base64",
                    base64.encodebytes(_METADATA),
                ),
            ),
        ),
        (
            "multipart/mixed;boundary=b",
            _parts(
                (
                    b"Content-Type: multipart/alternative;boundary=in",
                    b"--in\r\nContent-Type: application/sdp\r\n\r\nv=1\r\n--in--",
                ),
                (b"Content-Type: application/sdp", _SDP),
                (b"Content-Type: application/rs-metadata+xml", _METADATA),
                end=False,
            ),
        ),
    ],
    ids=[
        "utf-8 metadata",
        "header case, parameters, quoted boundary",
        "folded header, 8-bit header, base64 part",
        "nested part, no closing boundary",
    ],
)
def test_what_sbcs_send_is_split_to_the_exact_bytes(content_type: str, body: bytes) -> None:
    parts = split_siprec_body(content_type, body)

    assert parts.sdp == _SDP
    assert parts.metadata == _METADATA


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"x", 415),
        ("", b"x", 415),
        (
            'multipart/mixed;boundary="b"',
            b"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n",
            415,
        ),
        (
            'multipart/mixed;boundary="b"',
            b"--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<x/>\r\n--b--\r\n",
            400,
        ),
        ("multipart/mixed", b"no boundary", 400),
    ],
)
def test_bodies_that_are_refused(content_type: str, body: bytes, status: int) -> None:
    with pytest.raises(MetadataError) as error:
        split_siprec_body(content_type, body)
    assert error.value.status == status


@pytest.mark.parametrize(
    "document",
    [
        b"<recording",
        b"<other xmlns='urn:ietf:params:xml:ns:recording:1'/>",
        b'<!DOCTYPE x [<!ENTITY a "b">]>'
        b'<recording xmlns="urn:ietf:params:xml:ns:recording:1">&a;</recording>',
        b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant/></recording>",
        b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><session session_id='s'>"
        b"<start-time>yesterday</start-time></session></recording>",
    ],
)
def test_malformed_or_unsafe_metadata_is_400(document: bytes) -> None:
    with pytest.raises(MetadataError) as error:
        parse_metadata(document)
    assert error.value.status == 400


@pytest.mark.parametrize(
    ("aor", "expected"),
    [
        ("sip:+15551230001@pbx.example.com", "+15551230001"),
        ("tel:+4930123456", "+4930123456"),
        ("sips:+15551230001@x;user=phone", "+15551230001"),
        ("sip:alice@atlanta.example.com", "sip:alice@atlanta.example.com"),
        ("sip:5551230001@pbx", "sip:5551230001@pbx"),
        (None, None),
    ],
)
def test_e164_or_aor(aor: str | None, expected: str | None) -> None:
    assert e164_or_aor(aor) == expected
