"""Recording lengths the engine accepts."""

from __future__ import annotations

from .errors import AudioTooLong, AudioTooShort

__all__ = ["MAX_DURATION_SECONDS", "MIN_DURATION_SECONDS", "check_duration"]

MIN_DURATION_SECONDS = 0.5
MAX_DURATION_SECONDS = 4 * 3600.0


def check_duration(seconds: float) -> None:
    """Raise AudioTooShort for 0.5 s or less, AudioTooLong for 4 hours or more."""
    if seconds <= MIN_DURATION_SECONDS:
        raise AudioTooShort(f"recording lasts {seconds:.3f} s; more than {MIN_DURATION_SECONDS} s is needed")
    if seconds >= MAX_DURATION_SECONDS:
        raise AudioTooLong(
            f"recording lasts {seconds:.0f} s; the limit is under {MAX_DURATION_SECONDS:.0f} s"
        )
