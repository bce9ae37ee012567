"""The console's home page (/ui): an account's recordings newest first, with filters, transcript
search and keyset pages, all in the URL; a bad filter or page link is shown beside the form."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from callvault.api.auth import services_of
from callvault.api.console.pages import account_of, console_page, page_html
from callvault.api.console.session import ConsoleSession
from callvault.api.console.views import recording_view
from callvault.domain.errors import ValidationFailed
from callvault.domain.paging import NEWEST_FIRST, PageRequest, build_page, decode_token
from callvault.domain.recordings import DIRECTIONS, LIST_LIMIT, build_filter
from callvault.domain.roles import Permission
from callvault.domain.search import parse_query
from callvault.services import finding
from callvault.services.auth import Principal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
DELETED_NOTICE = "Recording {} deleted."
STALE_PAGE_LINK = "This page link is damaged or out of date: start again from the first page."
_FORM_FIELDS = ("q", "from", "to", "direction", "tag", "minStartTime", "maxStartTime", "sort")


def _page_request(token: str | None, sort: str) -> PageRequest:
    """The page asked for; a pageToken the console cannot use is told in the console's words."""
    page = build_page(str(PAGE_SIZE), None, sort)
    assert page is not None
    if not token:
        return page
    try:
        return replace(page, after=decode_token(token, page.newest_first))
    except ValidationFailed:
        raise ValidationFailed(STALE_PAGE_LINK) from None


def _list_context(request: Request, account: str) -> dict[str, Any]:
    """The list or the search results for the query string; a bad filter is shown beside the form."""
    query = request.query_params
    form = {name: query.get(name, "") for name in _FORM_FIELDS}
    filtered = any(form[name] for name in _FORM_FIELDS if name not in ("q", "sort"))
    deleted = query.get("deleted", "")
    kept = {name: value for name, value in form.items() if value} | {"account": account}
    context: dict[str, Any] = {
        "form": form,
        "rows": [],
        "error": "",
        "summary": "",
        "paged": False,
        "notice": DELETED_NOTICE.format(deleted) if deleted else "",
        "searching": bool(form["q"].strip()),
        "next_url": "",
        "first_url": "/ui?" + urlencode(kept) if query.get("pageToken") else "",
        "filtered": filtered or form["sort"] == "startTime",
    }
    store = services_of(request).store
    try:
        flt = build_filter(
            account,
            to=form["to"],
            from_=form["from"],
            min_start_time=form["minStartTime"],
            max_start_time=form["maxStartTime"],
            direction=form["direction"],
            tag=form["tag"],
        )
        if context["searching"]:
            transcript_query = parse_query(form["q"])
            hits = finding.search(store, flt, transcript_query, LIST_LIMIT)
            context["rows"] = [recording_view(hit.recording, t, hit, query) for hit, t in hits]
            context["summary"] = _count_text(
                len(hits), "recording", f" whose transcript matches “{form['q']}”"
            )
            return context
        page = _page_request(query.get("pageToken"), form["sort"] or NEWEST_FIRST)
        found = finding.list_page(store, flt, page)
        total = finding.count_recordings(store, flt)
    except ValidationFailed as error:
        context["error"] = error.description
        return context
    context["rows"] = [recording_view(r, t, listed=query) for r, t in found.rows]
    context["summary"] = _count_text(total, "recording", "")
    context["paged"] = total > len(found.rows)
    if found.next_token:
        context["next_url"] = "/ui?" + urlencode(kept | {"pageToken": found.next_token})
    return context


def _count_text(count: int, noun: str, rest: str) -> str:
    capped = "1,000 or more" if count >= LIST_LIMIT else f"{count:,}"
    return f"{capped} {noun}{'' if count == 1 else 's'}{rest}"


@router.get("/ui")
async def recordings_page(request: Request) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        searching = bool(request.query_params.get("q", "").strip())
        account = account_of(request, principal, Permission.TRANSCRIPT if searching else Permission.READ)
        context = _list_context(request, account)
        html = page_html(
            request,
            principal,
            session,
            account,
            template="recordings.html",
            nav="recordings",
            directions=DIRECTIONS,
            **context,
        )
        return HTMLResponse(html, status_code=400 if context["error"] else 200)

    return await console_page(request, build)
