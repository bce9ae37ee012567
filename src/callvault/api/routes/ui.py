"""The web page: browse, play and read recordings (Basic auth, the same users as the API)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from callvault.api.auth import authenticate, services_of
from callvault.domain.recordings import build_filter
from callvault.domain.timefmt import format_iso_duration, format_iso_time
from callvault.services import recordings as recording_service

router = APIRouter(include_in_schema=False)

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "ui" / "templates"),
    autoescape=select_autoescape(["html"]),
)
_templates.filters["isotime"] = lambda v: format_iso_time(v) if v else ""
_templates.filters["isoduration"] = format_iso_duration


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui")


@router.get("/ui")
def recordings_page(request: Request) -> HTMLResponse:
    principal = authenticate(request)
    query = request.query_params
    account = query.get("account") or min(principal.accounts, default="")
    principal.require_account(account)
    flt = build_filter(
        account,
        to=query.get("to"),
        from_=query.get("from"),
        min_start_time=query.get("minStartTime"),
        max_start_time=query.get("maxStartTime"),
    )
    rows = recording_service.list_account_recordings(services_of(request).store, flt)
    html = _templates.get_template("recordings.html").render(
        user=principal.name,
        accounts=sorted(principal.accounts),
        account=account,
        query=dict(query),
        rows=rows,
    )
    return HTMLResponse(html)
