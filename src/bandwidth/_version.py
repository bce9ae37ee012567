"""The version of the official bandwidth-sdk whose interface this package offers."""

from __future__ import annotations

__version__ = "23.3.1"
