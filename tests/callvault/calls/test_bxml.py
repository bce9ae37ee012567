from __future__ import annotations

import pytest

from callvault.calls.bxml import (
    MAX_BXML_BYTES,
    BxmlError,
    PauseRecording,
    ResumeRecording,
    StartRecording,
    StopRecording,
    parse_bxml,
)


def test_parses_every_recording_verb_in_document_order() -> None:
    text = """<?xml version="1.0" encoding="UTF-8"?>
    <Bxml>
        <StartRecording/>
        <PauseRecording/>
        <ResumeRecording/>
        <StopRecording/>
    </Bxml>"""

    assert parse_bxml(text) == [StartRecording(), PauseRecording(), ResumeRecording(), StopRecording()]


def test_start_recording_defaults() -> None:
    (verb,) = parse_bxml("<Bxml><StartRecording/></Bxml>")

    assert verb == StartRecording(
        recording_available_url=None,
        recording_available_method="POST",
        transcribe=False,
        transcription_available_url=None,
        transcription_available_method="POST",
        username=None,
        password=None,
        tag=None,
        file_format="wav",
        multi_channel=False,
        detect_language=False,
    )


def test_start_recording_reads_every_attribute() -> None:
    text = b"""<Bxml><StartRecording
        recordingAvailableUrl="https://app.example/recording"
        recordingAvailableMethod="GET"
        transcribe="true"
        transcriptionAvailableUrl="http://127.0.0.1:8080/transcription"
        transcriptionAvailableMethod="get"
        username="user"
        password="secret"
        tag="order-42"
        fileFormat="mp3"
        multiChannel="true"
        detectLanguage="True"/></Bxml>"""

    (verb,) = parse_bxml(text)

    assert verb == StartRecording(
        recording_available_url="https://app.example/recording",
        recording_available_method="GET",
        transcribe=True,
        transcription_available_url="http://127.0.0.1:8080/transcription",
        transcription_available_method="GET",
        username="user",
        password="secret",
        tag="order-42",
        file_format="mp3",
        multi_channel=True,
        detect_language=True,
    )


def test_empty_bxml_has_no_verbs() -> None:
    assert parse_bxml("<Bxml/>") == []


def test_malformed_xml_is_refused() -> None:
    with pytest.raises(BxmlError, match="malformed BXML"):
        parse_bxml("<Bxml><StartRecording></Bxml>")


def test_wrong_root_is_refused() -> None:
    with pytest.raises(BxmlError, match=r"root element must be <Bxml>, got <Response>"):
        parse_bxml("<Response><StartRecording/></Response>")


@pytest.mark.parametrize("verb", ["SpeakSentence", "Gather", "Record", "StartStream"])
def test_a_verb_callvault_does_not_execute_is_named(verb: str) -> None:
    with pytest.raises(BxmlError, match=f"does not execute the BXML verb <{verb}>"):
        parse_bxml(f"<Bxml><StartRecording/><{verb}/></Bxml>")


def test_unknown_attribute_is_named() -> None:
    with pytest.raises(BxmlError, match="unknown attribute 'maxDuration'"):
        parse_bxml('<Bxml><StartRecording maxDuration="30"/></Bxml>')


def test_attributes_on_a_verb_without_attributes_are_refused() -> None:
    with pytest.raises(BxmlError, match=r"<PauseRecording> has unknown attribute 'tag'"):
        parse_bxml('<Bxml><PauseRecording tag="x"/></Bxml>')


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("fileFormat", "ogg"),
        ("multiChannel", "yes"),
        ("transcribe", "1"),
        ("detectLanguage", ""),
        ("recordingAvailableMethod", "PUT"),
        ("transcriptionAvailableMethod", "DELETE"),
    ],
)
def test_bad_attribute_value_names_the_attribute(attribute: str, value: str) -> None:
    with pytest.raises(BxmlError, match=f"attribute '{attribute}' must be"):
        parse_bxml(f'<Bxml><StartRecording {attribute}="{value}"/></Bxml>')


@pytest.mark.parametrize(
    "url",
    [
        "ftp://app.example/x",
        "file:///etc/passwd",
        "/relative/path",
        "javascript:alert(1)",
        "https://",
        "http:///nohost",
        "http://:8080/x",
    ],
)
def test_urls_must_be_absolute_http_or_https_with_a_host(url: str) -> None:
    with pytest.raises(BxmlError, match="recordingAvailableUrl is not a usable callback URL"):
        parse_bxml(f'<Bxml><StartRecording recordingAvailableUrl="{url}"/></Bxml>')


def test_verbs_take_no_text_or_children() -> None:
    with pytest.raises(BxmlError, match="must not contain text"):
        parse_bxml("<Bxml><StopRecording>now</StopRecording></Bxml>")
    with pytest.raises(BxmlError, match="must be empty"):
        parse_bxml("<Bxml><StartRecording><PauseRecording/></StartRecording></Bxml>")
    with pytest.raises(BxmlError, match="must not contain text"):
        parse_bxml("<Bxml>hello<StopRecording/></Bxml>")


def test_billion_laughs_is_refused() -> None:
    text = """<?xml version="1.0"?>
    <!DOCTYPE lolz [
      <!ENTITY lol "lol">
      <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
    ]>
    <Bxml><StartRecording tag="&lol3;"/></Bxml>"""

    with pytest.raises(BxmlError, match="DOCTYPE"):
        parse_bxml(text)


def test_external_entity_is_refused() -> None:
    text = """<?xml version="1.0"?>
    <!DOCTYPE Bxml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <Bxml><StartRecording tag="&xxe;"/></Bxml>"""

    with pytest.raises(BxmlError, match="DOCTYPE"):
        parse_bxml(text)


def test_oversized_document_is_refused() -> None:
    text = "<Bxml>" + " " * MAX_BXML_BYTES + "</Bxml>"

    with pytest.raises(BxmlError, match="limit"):
        parse_bxml(text)


def test_bxml_error_is_a_value_error() -> None:
    assert issubclass(BxmlError, ValueError)
