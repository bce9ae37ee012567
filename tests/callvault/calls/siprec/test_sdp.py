"""SDP offers and the recording server's answers (callvault.calls.siprec.sdp)."""

from __future__ import annotations

import pytest

from callvault.calls.siprec.sdp import SdpError, answer_offer, parse_sdp

OFFER = b"""v=0\r
o=SRC 1 1 IN IP4 10.0.0.1\r
s=-\r
c=IN IP4 10.0.0.1\r
t=0 0\r
m=audio 40000 RTP/AVP 8 0 101\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:101 telephone-event/8000\r
a=label:1\r
a=sendonly\r
m=audio 40002 RTP/AVP 18\r
a=label:2\r
a=sendonly\r
m=audio 40004 RTP/AVP 8\r
c=IN IP4 10.0.0.9\r
a=label:3\r
a=inactive\r
"""


def test_parse_offer() -> None:
    offer = parse_sdp(OFFER)
    assert [m.label for m in offer.media] == ["1", "2", "3"]
    first = offer.media[0]
    assert first.chosen_audio_codec() is not None and first.chosen_audio_codec().name == "PCMU"  # type: ignore[union-attr]
    assert first.telephone_event() is not None and first.telephone_event().payload_type == 101  # type: ignore[union-attr]
    assert not offer.media[1].acceptable  # G.729 only
    assert offer.address_of(offer.media[2]) == "10.0.0.9"
    assert offer.media[2].direction == "inactive"


def test_answer_is_recvonly_refuses_unsupported_streams_and_mirrors_inactive() -> None:
    body, codecs = answer_offer(
        parse_sdp(OFFER), [20000, 20002, 20004], address="127.0.0.1", session_id=7, version=1
    )
    text = body.decode()
    assert (
        "m=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" in text
    )
    assert "a=label:1\r\na=recvonly" in text
    assert "m=audio 0 RTP/AVP 18" in text
    assert "m=audio 20004 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=label:3\r\na=inactive" in text
    assert [c.name if c else None for c in codecs] == ["PCMU", None, "PCMA"]
    assert parse_sdp(body).media[0].port == 20000


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"v=1\r\n",
        b"v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\n",  # no m=
        b"v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n",  # no c=
        b"v=0\r\no=x\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n",
        b"v=0\r\no=x\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 300\r\n",
        b"v=0\r\no=x\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:zero\r\n",
        b"v=0\r\no=x\r\nbogus line\r\n",
        b"v=0\r\no=x\r\nc=IN IP4 999.1.1.1\r\nm=audio 1 RTP/AVP 0\r\n",
        b"\xff\xfe",
    ],
)
def test_malformed_sdp(body: bytes) -> None:
    with pytest.raises(SdpError):
        parse_sdp(body)


def test_no_acceptable_stream_is_an_error() -> None:
    offer = parse_sdp(b"v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/SAVP 0\r\n")
    with pytest.raises(SdpError):
        answer_offer(offer, [20000], address="127.0.0.1", session_id=1, version=1)
