"""The console's templates and static files: the Jinja environment, asset URLs with a content hash,
and rendering a page with what every page needs from its request (the CSP nonce)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from callvault.api.console.headers import csp_nonce

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The asset's URL with its content hash, so it can be cached for good."""
    return f"/ui/static/{name}?v={_asset_version(name)}"


templates = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))
templates.globals["static_url"] = static_url


def render(request: Request, name: str, **context: Any) -> str:
    return templates.get_template(name).render(csp_nonce=csp_nonce(request), **context)
