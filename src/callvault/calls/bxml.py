"""Parse the BXML verbs that control a live call's recording.

An application steers recording of a live call with Bandwidth XML (BXML)::

    <?xml version="1.0" encoding="UTF-8"?>
    <Bxml>
        <StartRecording recordingAvailableUrl="https://app.example/available" fileFormat="mp3"
                        multiChannel="true" transcribe="true"/>
        <PauseRecording/>
        <ResumeRecording/>
        <StopRecording/>
    </Bxml>

callvault executes only the four recording verbs. In a document sent to a live call
(:func:`parse_bxml`) any other element (``SpeakSentence``, ``Gather``, ...) is refused with a
:class:`BxmlError` that names it, rather than silently skipped, so an application never believes a
verb ran when it did not. The reply to an ``answer`` webhook (:func:`parse_answer_bxml`, root
``<Bxml>`` or ``<Response>``) is a whole call flow: its recording verbs run, the others are named
back to the caller as not executed.

The parser is hardened with defusedxml: a document that declares a DTD, an entity or an external
reference is refused (no billion-laughs, no XXE). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from callvault.domain.records import CallbackMethod, FileFormat
from callvault.domain.urls import callback_url_problem

__all__ = [
    "MAX_BXML_BYTES",
    "BxmlError",
    "PauseRecording",
    "ResumeRecording",
    "StartRecording",
    "StopRecording",
    "Verb",
    "parse_answer_bxml",
    "parse_bxml",
]

MAX_BXML_BYTES = 256 * 1024
"""Largest BXML document accepted; recording verbs fit in a few hundred bytes."""

ROOT_ELEMENT = "Bxml"
ANSWER_ROOT_ELEMENTS = ("Bxml", "Response")


class BxmlError(ValueError):
    """The BXML document is malformed, unsafe, or asks for something callvault does not do."""


@dataclass(frozen=True)
class StartRecording:
    """``<StartRecording>``: start recording both sides of the call."""

    recording_available_url: str | None = None
    recording_available_method: CallbackMethod = "POST"
    transcribe: bool = False
    transcription_available_url: str | None = None
    transcription_available_method: CallbackMethod = "POST"
    username: str | None = None
    password: str | None = None
    tag: str | None = None
    file_format: FileFormat = "wav"
    multi_channel: bool = False
    detect_language: bool = False


@dataclass(frozen=True)
class PauseRecording:
    """``<PauseRecording>``: stop writing audio until ``<ResumeRecording>``."""


@dataclass(frozen=True)
class ResumeRecording:
    """``<ResumeRecording>``: write audio again after ``<PauseRecording>``."""


@dataclass(frozen=True)
class StopRecording:
    """``<StopRecording>``: end the recording; the file becomes available."""


Verb = StartRecording | PauseRecording | ResumeRecording | StopRecording


def parse_bxml(text: str | bytes) -> list[Verb]:
    """Return the verbs of a ``<Bxml>`` document in document order.

    Raises :class:`BxmlError` for malformed or unsafe XML, a root other than ``<Bxml>``, a verb
    callvault does not execute, an unknown attribute or an invalid attribute value.
    """
    root = _parse_root(text)
    if root.tag != ROOT_ELEMENT:
        raise BxmlError(f"BXML root element must be <{ROOT_ELEMENT}>, got <{root.tag}>")
    _require_no_text(root.text, ROOT_ELEMENT)
    verbs: list[Verb] = []
    for element in root:
        verbs.append(_parse_verb(element))
        _require_no_text(element.tail, ROOT_ELEMENT)
    return verbs


def parse_answer_bxml(text: str | bytes) -> tuple[list[Verb], list[str]]:
    """The recording verbs of an answer's BXML in document order, and the names of the other verbs.

    Raises :class:`BxmlError` for malformed or unsafe XML, a root other than ``<Bxml>`` or
    ``<Response>``, or an invalid recording verb.
    """
    root = _parse_root(text)
    if root.tag not in ANSWER_ROOT_ELEMENTS:
        raise BxmlError(f"BXML root element must be <{ROOT_ELEMENT}>, got <{root.tag}>")
    verbs: list[Verb] = []
    skipped: list[str] = []
    for element in root:
        if element.tag in _VERB_PARSERS:
            verbs.append(_parse_verb(element))
        else:
            skipped.append(str(element.tag))
    return verbs, skipped


def _parse_root(text: str | bytes) -> Element:
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > MAX_BXML_BYTES:
        raise BxmlError(f"BXML document is {size} bytes; the limit is {MAX_BXML_BYTES}")
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise BxmlError("BXML must not contain a DOCTYPE declaration") from exc
    except defusedxml.EntitiesForbidden as exc:
        raise BxmlError("BXML must not declare entities") from exc
    except defusedxml.DefusedXmlException as exc:
        raise BxmlError(f"BXML refused: {exc}") from exc
    except ParseError as exc:
        raise BxmlError(f"malformed BXML: {exc}") from exc


def _require_no_text(text: str | None, where: str) -> None:
    if text is not None and text.strip():
        raise BxmlError(f"<{where}> must not contain text, got {text.strip()[:40]!r}")


def _parse_verb(element: Element) -> Verb:
    name = element.tag
    if not isinstance(name, str):  # comments and processing instructions are dropped by the parser
        raise BxmlError("BXML contains a node that is not an element")
    parser = _VERB_PARSERS.get(name)
    if parser is None:
        supported = ", ".join(f"<{verb}>" for verb in _VERB_PARSERS)
        raise BxmlError(f"callvault does not execute the BXML verb <{name}>; supported verbs: {supported}")
    _require_no_text(element.text, name)
    if len(element):
        raise BxmlError(f"<{name}> must be empty, found a nested <{element[0].tag}>")
    return parser(element.attrib)


def _parse_start_recording(attributes: Mapping[str, str]) -> StartRecording:
    _refuse_unknown_attributes("StartRecording", attributes, _START_RECORDING_ATTRIBUTES)
    return StartRecording(
        recording_available_url=_url(attributes, "recordingAvailableUrl"),
        recording_available_method=_method(attributes, "recordingAvailableMethod"),
        transcribe=_boolean(attributes, "transcribe"),
        transcription_available_url=_url(attributes, "transcriptionAvailableUrl"),
        transcription_available_method=_method(attributes, "transcriptionAvailableMethod"),
        username=attributes.get("username"),
        password=attributes.get("password"),
        tag=attributes.get("tag"),
        file_format=_file_format(attributes, "fileFormat"),
        multi_channel=_boolean(attributes, "multiChannel"),
        detect_language=_boolean(attributes, "detectLanguage"),
    )


def _parse_without_attributes(name: str, verb: Verb) -> Callable[[Mapping[str, str]], Verb]:
    def parse(attributes: Mapping[str, str]) -> Verb:
        _refuse_unknown_attributes(name, attributes, frozenset())
        return verb

    return parse


_START_RECORDING_ATTRIBUTES = frozenset(
    {
        "recordingAvailableUrl",
        "recordingAvailableMethod",
        "transcribe",
        "transcriptionAvailableUrl",
        "transcriptionAvailableMethod",
        "username",
        "password",
        "tag",
        "fileFormat",
        "multiChannel",
        "detectLanguage",
    }
)

_VERB_PARSERS: dict[str, Callable[[Mapping[str, str]], Verb]] = {
    "StartRecording": _parse_start_recording,
    "PauseRecording": _parse_without_attributes("PauseRecording", PauseRecording()),
    "ResumeRecording": _parse_without_attributes("ResumeRecording", ResumeRecording()),
    "StopRecording": _parse_without_attributes("StopRecording", StopRecording()),
}


def _refuse_unknown_attributes(verb: str, attributes: Mapping[str, str], known: frozenset[str]) -> None:
    unknown = sorted(set(attributes) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise BxmlError(f"<{verb}> has unknown attribute {unknown[0]!r}; allowed attributes: {allowed}")


def _boolean(attributes: Mapping[str, str], name: str) -> bool:
    value = attributes.get(name)
    if value is None:
        return False
    normalised = value.strip().lower()
    if normalised not in ("true", "false"):
        raise BxmlError(f"attribute {name!r} must be 'true' or 'false', got {value!r}")
    return normalised == "true"


def _method(attributes: Mapping[str, str], name: str) -> CallbackMethod:
    value = attributes.get(name)
    if value is None:
        return "POST"
    normalised = value.strip().upper()
    if normalised == "GET":
        return "GET"
    if normalised == "POST":
        return "POST"
    raise BxmlError(f"attribute {name!r} must be 'GET' or 'POST', got {value!r}")


def _file_format(attributes: Mapping[str, str], name: str) -> FileFormat:
    value = attributes.get(name)
    if value is None:
        return "wav"
    normalised = value.strip().lower()
    if normalised == "wav":
        return "wav"
    if normalised == "mp3":
        return "mp3"
    raise BxmlError(f"attribute {name!r} must be 'wav' or 'mp3', got {value!r}")


def _url(attributes: Mapping[str, str], name: str) -> str | None:
    value = attributes.get(name)
    if value is None:
        return None
    url = value.strip()
    problem = callback_url_problem(url)
    if problem is not None:
        raise BxmlError(f"attribute {name} is not a usable callback URL ({problem}): {url[:256]}")
    return url
