"""ASGI entry point for `uvicorn --factory callvault.api.asgi:app_from_environment` (multi-process serve)."""

from __future__ import annotations

from fastapi import FastAPI

from callvault.api.app import create_app
from callvault.settings import Settings


def app_from_environment() -> FastAPI:
    return create_app(Settings())
