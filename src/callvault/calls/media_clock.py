"""How far a live track's own media clock may move its recording: one rule for every live source
(Twilio timestamps, SIPREC's RTP timestamps, any stream that positions its audio), applied by the
recorder (:class:`callvault.calls.recorder.CallRecorder`). Pure: the time is passed in.

* Real audio is always taken, however fast it comes: a client may send a recorded call faster than
  real time, and its audio lands where its clock says.
* The silence of a gap (a track's clock jumping forward) may take a track to the position the
  recording has already reached with real audio, and beyond it only as far as the wall clock since
  the recording started, plus ``ahead_allowance_seconds``. A timestamp that jumps further (0, then
  36,000,000 ms) is clamped: the track's later audio continues where the clamp left it.
* Nothing, audio or silence, is written past ``max_session_seconds`` of media.
"""

from __future__ import annotations

from dataclasses import dataclass

from callvault.domain.limits import MAX_LIVE_SESSION_SECONDS, SILENCE_AHEAD_OF_WALL_CLOCK_SECONDS

__all__ = ["MediaClockLimits"]


@dataclass(frozen=True)
class MediaClockLimits:
    """The limits above; positions are media frames at ``sample_rate`` since the recording started."""

    ahead_allowance_seconds: float = SILENCE_AHEAD_OF_WALL_CLOCK_SECONDS
    max_session_seconds: float = MAX_LIVE_SESSION_SECONDS

    def __post_init__(self) -> None:
        if self.ahead_allowance_seconds < 0 or self.max_session_seconds <= 0:
            raise ValueError(
                "the silence allowance must be >= 0 and the maximum session length positive, got "
                f"{self.ahead_allowance_seconds} and {self.max_session_seconds}"
            )

    def max_frames(self, sample_rate: int) -> int:
        """The position no recording passes."""
        return round(self.max_session_seconds * sample_rate)

    def latest_silence_end(self, *, reached: int, elapsed_seconds: float, sample_rate: int) -> int:
        """How far silence may fill a track now: to `reached` (where the recording's real audio has
        got to), or to the wall clock since the recording started plus the allowance, whichever is
        further, and never past :meth:`max_frames`."""
        by_wall_clock = round((max(0.0, elapsed_seconds) + self.ahead_allowance_seconds) * sample_rate)
        return min(max(reached, by_wall_clock), self.max_frames(sample_rate))
