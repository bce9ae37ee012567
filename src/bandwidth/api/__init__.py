"""API classes."""

from __future__ import annotations

from bandwidth.api.recordings_api import RecordingsApi

__all__ = ["RecordingsApi"]
