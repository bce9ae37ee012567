"""Limits and timeouts that more than one part of callvault must agree on."""

from __future__ import annotations

MIN_TRANSCRIBABLE_SECONDS = 0.5
"""A recording this short or shorter is `file-size-too-small` for transcription."""
MAX_TRANSCRIBABLE_SECONDS = 4 * 3600.0
"""A recording this long or longer is `file-size-too-big` for transcription."""

WEBHOOK_TIMEOUT_SECONDS = 15.0
"""How long one webhook attempt may take (Bandwidth's timeout); `CALLVAULT_WEBHOOK_TIMEOUT` overrides it."""

MAX_STREAM_SOURCE_BYTES = 8 * 1024
"""Largest metadata a live stream may leave in its recording's ``source`` (as JSON): Twilio
``customParameters``, a raw stream's metadata frame. Larger is refused (close 1009)."""
MAX_STREAMS_PER_SOURCE = 100
"""Media streams one stream token (or one account's Basic-auth streams) may hold open on one
serving process (`CALLVAULT_MAX_STREAMS_PER_SOURCE`)."""
MAX_REQUEST_BODY_BYTES = 1024**2
"""Largest JSON or BXML request body (`CALLVAULT_MAX_REQUEST_BODY`); uploads have `CALLVAULT_MAX_UPLOAD`."""
MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""What an upload's multipart framing and metadata part may add to its `CALLVAULT_MAX_UPLOAD` media."""

MAX_LIVE_SESSION_SECONDS = 4 * 3600.0
"""Longest live recording session: no live recorder writes media past it
(`CALLVAULT_MAX_LIVE_SESSION_SECONDS`)."""
SILENCE_AHEAD_OF_WALL_CLOCK_SECONDS = 5.0
"""How far the silence of a gap in a track's media clock may run a live recording ahead of the wall
clock since it started (real audio may run ahead as far as it is sent)."""
