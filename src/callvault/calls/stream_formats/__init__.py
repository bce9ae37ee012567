"""The wire formats live audio arrives in, each a parser into the events of :mod:`.events`.

* :mod:`.bandwidth`: Bandwidth ``<StartStream>`` (the messages of :mod:`callvault.calls.media_stream`,
  with callvault's ``mark`` extension);
* :mod:`.twilio`: Twilio Media Streams (``<Stream>``);
* :mod:`.raw_audio`: a JSON metadata text frame, then binary L16 frames (jambonz ``listen``,
  FreeSWITCH ``mod_audio_fork``).

A new format is one parser module (a :class:`~.events.StreamParser`) and one line in
:data:`STREAM_FORMATS`; the stream routes serve it at ``/ingest/.../streams/{name}``.
"""

from __future__ import annotations

from collections.abc import Callable

from callvault.calls.stream_formats.bandwidth import BandwidthStream
from callvault.calls.stream_formats.events import StreamParser
from callvault.calls.stream_formats.raw_audio import RawAudioStream
from callvault.calls.stream_formats.twilio import TwilioStream

__all__ = ["STREAM_FORMATS", "stream_parser"]

STREAM_FORMATS: dict[str, Callable[[], StreamParser]] = {
    "bandwidth": BandwidthStream,
    "twilio": TwilioStream,
    "raw": RawAudioStream,
}


def stream_parser(name: str) -> StreamParser | None:
    """A new parser for the format called `name`; None when callvault does not speak it."""
    make = STREAM_FORMATS.get(name)
    return make() if make is not None else None
