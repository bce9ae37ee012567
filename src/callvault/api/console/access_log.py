"""The console's access-log page (/ui/access-log): the account's entries, filtered like the API's
`GET /accounts/{accountId}/accessLog`, for a signed-in auditor or owner."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from callvault.api.auth import services_of
from callvault.api.console.pages import account_of, console_page, page_html
from callvault.api.console.session import ConsoleSession
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.services import access_log
from callvault.services.auth import Principal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
_FIELDS = ("recordingId", "user", "from", "to")


def _entries(request: Request, account: str, form: dict[str, str]) -> dict[str, Any]:
    try:
        flt = access_log.build_filter(
            account,
            recording_id=form["recordingId"] or None,
            actor=form["user"] or None,
            since=form["from"] or None,
            until=form["to"] or None,
        )
        after = access_log.parse_after(request.query_params.get("after"))
    except ValidationFailed as error:
        return {"entries": [], "error": error.description, "next_url": ""}
    page = access_log.find(services_of(request).store, flt, after=after, limit=PAGE_SIZE)
    kept = {name: value for name, value in form.items() if value} | {"account": account}
    next_url = "/ui/access-log?" + urlencode(kept | {"after": page.next_after}) if page.next_after else ""
    return {"entries": [access_log.entry_json(e) for e in page.entries], "error": "", "next_url": next_url}


@router.get("/ui/access-log")
async def access_log_page(request: Request) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        account = account_of(request, principal, Permission.AUDIT)
        form = {name: request.query_params.get(name, "") for name in _FIELDS}
        context = _entries(request, account, form)
        html = page_html(
            request,
            principal,
            session,
            account,
            template="access_log.html",
            nav="access-log",
            switch_action="/ui/access-log",
            form=form,
            **context,
        )
        return HTMLResponse(html, status_code=400 if context["error"] else 200)

    return await console_page(request, build)
