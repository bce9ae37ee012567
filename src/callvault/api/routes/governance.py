"""callvault extensions for who may do what, and proof of it (a client of Bandwidth's API never sees them):

* ``GET /accounts/{accountId}/accessLog``: the access log of the account (role auditor or owner),
  oldest first, filtered by ``recordingId``, ``user``, ``from``, ``to``; ``after`` + ``limit`` page
  through it (the next page's URL is in ``Link: <...>; rel="next"``).
* ``GET|POST /accounts/{accountId}/credentials`` and ``DELETE .../credentials/{clientId}``: the
  account's API credentials (role owner). The secret is in the creation's answer only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import authorize, services_of
from callvault.api.routes.common import read_json
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.domain.timefmt import format_iso_time
from callvault.services import access_log
from callvault.store.credentials_repo import StoredCredential

router = APIRouter()


@router.get("/accounts/{accountId}/accessLog")
def list_access_log(request: Request, accountId: str) -> JSONResponse:
    authorize(request, accountId, Permission.AUDIT)
    query = request.query_params
    flt = access_log.build_filter(
        accountId,
        recording_id=query.get("recordingId"),
        actor=query.get("user"),
        since=query.get("from"),
        until=query.get("to"),
    )
    page = access_log.find(
        services_of(request).store,
        flt,
        after=access_log.parse_after(query.get("after")),
        limit=access_log.parse_limit(query.get("limit")),
    )
    headers = {}
    if page.next_after is not None:
        headers["Link"] = f'<{request.url.include_query_params(after=page.next_after)}>; rel="next"'
    return JSONResponse([access_log.entry_json(e) for e in page.entries], headers=headers)


def _credential_json(stored: StoredCredential) -> dict[str, object]:
    def when(value: object) -> str | None:
        return format_iso_time(value) if value is not None else None  # type: ignore[arg-type]

    return {
        "clientId": stored.client_id,
        "accountId": stored.account_id,
        "role": stored.role.value,
        "name": stored.name,
        "createdTime": when(stored.created_at),
        "lastUsedTime": when(stored.last_used_at),
        "revokedTime": when(stored.revoked_at),
    }


@router.get("/accounts/{accountId}/credentials")
def list_credentials(request: Request, accountId: str) -> JSONResponse:
    authorize(request, accountId, Permission.MANAGE)
    found = services_of(request).credentials.list(accountId)
    return JSONResponse([_credential_json(stored) for stored in found])


@router.post("/accounts/{accountId}/credentials", status_code=201)
async def create_credential(request: Request, accountId: str) -> JSONResponse:
    await run_in_threadpool(authorize, request, accountId, Permission.MANAGE)
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("role"), str):
        raise ValidationFailed(
            'Invalid body: expected {"role": "owner|admin|member|auditor|listener", "name": ...}'
        )
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ValidationFailed("Invalid name: expected a string")
    made = await run_in_threadpool(services_of(request).credentials.create, accountId, body["role"], name)
    answer = {
        "clientId": made.client_id,
        "clientSecret": made.client_secret,
        "accountId": made.account_id,
        "role": made.role,
        "name": made.name,
    }
    return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/accounts/{accountId}/credentials/{clientId}", status_code=204)
def revoke_credential(request: Request, accountId: str, clientId: str) -> Response:
    authorize(request, accountId, Permission.MANAGE)
    services_of(request).credentials.revoke(clientId, accountId)
    return Response(status_code=204)
