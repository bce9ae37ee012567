"""The console's files: `/` (to the console), the favicon and `/ui/static/` (scripts, the stylesheet,
the vendored wavesurfer.js), cached for good because their URLs carry a content hash."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from callvault.api.console.templating import STATIC_DIR
from callvault.domain.errors import NotFound

router = APIRouter(include_in_schema=False)

_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/ui/static/{name:path}")
def static_asset(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file() or path.suffix not in _STATIC_TYPES:
        raise NotFound(f"No console asset {name!r}")
    return FileResponse(
        path,
        media_type=_STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
