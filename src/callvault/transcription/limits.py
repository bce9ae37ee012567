"""Recording lengths the engine accepts."""

from __future__ import annotations

from callvault.domain.limits import MAX_TRANSCRIBABLE_SECONDS, MIN_TRANSCRIBABLE_SECONDS

from .errors import AudioTooLong, AudioTooShort

__all__ = ["check_duration"]


def check_duration(seconds: float) -> None:
    """Raise AudioTooShort for 0.5 s or less, AudioTooLong for 4 hours or more."""
    if seconds <= MIN_TRANSCRIBABLE_SECONDS:
        raise AudioTooShort(
            f"recording lasts {seconds:.3f} s; more than {MIN_TRANSCRIBABLE_SECONDS} s is needed"
        )
    if seconds >= MAX_TRANSCRIBABLE_SECONDS:
        raise AudioTooLong(
            f"recording lasts {seconds:.0f} s; the limit is under {MAX_TRANSCRIBABLE_SECONDS:.0f} s"
        )
