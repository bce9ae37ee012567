"""callvault's governance routes: retention and redaction policies, legal holds, erasure
(docs/governance.md).

Each route authorises the account, names who asks (an `Actor`), calls one use case and answers its
result as JSON; the use case checks the permission and writes the audit entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import authorize, client_address, services_of
from callvault.api.routes.common import read_json
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.services import erasure, legal_holds, redaction, retention
from callvault.services.governance_hooks import Actor
from callvault.services.wire import erasure_receipt_json, legal_hold_json

router = APIRouter()

HOLDS = "/accounts/{accountId}/legalHolds"
ERASURES = "/accounts/{accountId}/erasures"


def _actor(request: Request, account_id: str) -> Actor:
    """The caller, allowed into the account (READ); the use case checks its own permission."""
    principal = authorize(request, account_id, Permission.READ)
    return Actor(principal.name, client_address(request), principal, services_of(request).audit)


@router.get("/accounts/{accountId}/retentionPolicy")
def get_retention_policy(request: Request, accountId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    return JSONResponse(retention.get_policy(services_of(request).store, actor, accountId).to_json())


@router.put("/accounts/{accountId}/retentionPolicy")
async def set_retention_policy(request: Request, accountId: str) -> JSONResponse:
    actor = await run_in_threadpool(_actor, request, accountId)
    body = await read_json(request)
    policy = await run_in_threadpool(retention.set_policy, services_of(request).store, actor, accountId, body)
    return JSONResponse(policy.to_json())


@router.get("/accounts/{accountId}/redactionPolicy")
def get_redaction_policy(request: Request, accountId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    return JSONResponse(redaction.get_policy(services_of(request).store, actor, accountId).to_json())


@router.put("/accounts/{accountId}/redactionPolicy")
async def set_redaction_policy(request: Request, accountId: str) -> JSONResponse:
    actor = await run_in_threadpool(_actor, request, accountId)
    body = await read_json(request)
    policy = await run_in_threadpool(redaction.set_policy, services_of(request).store, actor, accountId, body)
    return JSONResponse(policy.to_json())


@router.get(HOLDS)
def list_legal_holds(request: Request, accountId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    active = request.query_params.get("active", "true")
    if active not in ("true", "false"):
        raise ValidationFailed(f"Invalid active {active[:16]!r}: true (holds in force) or false (every hold)")
    holds = legal_holds.list_holds(services_of(request).store, actor, accountId, active_only=active == "true")
    return JSONResponse([legal_hold_json(hold) for hold in holds])


@router.post(HOLDS, status_code=201)
async def place_legal_hold(request: Request, accountId: str) -> JSONResponse:
    actor = await run_in_threadpool(_actor, request, accountId)
    body = await read_json(request)
    hold = await run_in_threadpool(legal_holds.place_hold, services_of(request).store, actor, accountId, body)
    return JSONResponse(legal_hold_json(hold), status_code=201)


@router.get(HOLDS + "/{holdId}")
def get_legal_hold(request: Request, accountId: str, holdId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    return JSONResponse(
        legal_hold_json(legal_holds.get_hold(services_of(request).store, actor, accountId, holdId))
    )


@router.post(HOLDS + "/{holdId}/release")
async def release_legal_hold(request: Request, accountId: str, holdId: str) -> JSONResponse:
    actor = await run_in_threadpool(_actor, request, accountId)
    body = await read_json(request)
    reason = body.get("reason") if isinstance(body, dict) else None
    hold = await run_in_threadpool(
        legal_holds.release_hold, services_of(request).store, actor, accountId, holdId, reason
    )
    return JSONResponse(legal_hold_json(hold))


@router.post(ERASURES, status_code=201)
async def erase_number(request: Request, accountId: str) -> JSONResponse:
    actor = await run_in_threadpool(_actor, request, accountId)
    number = erasure.parse_number(await read_json(request))
    services = services_of(request)
    receipt = await run_in_threadpool(
        lambda: erasure.erase_number(
            services.store, actor, accountId, number, grace_seconds=services.settings.purge_grace
        )
    )
    return JSONResponse(erasure_receipt_json(receipt), status_code=201)


@router.get(ERASURES)
def list_erasures(request: Request, accountId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    receipts = erasure.list_receipts(services_of(request).store, actor, accountId)
    return JSONResponse([erasure_receipt_json(receipt) for receipt in receipts])


@router.get(ERASURES + "/{receiptId}")
def get_erasure(request: Request, accountId: str, receiptId: str) -> JSONResponse:
    actor = _actor(request, accountId)
    receipt = erasure.get_receipt(services_of(request).store, actor, accountId, receiptId)
    return JSONResponse(erasure_receipt_json(receipt))
