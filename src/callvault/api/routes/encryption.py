"""callvault extension: an account's encryption mode (server-held, or customer-held with its public key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import authorize, services_of
from callvault.api.routes.common import read_json
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.domain.timefmt import format_iso_time
from callvault.services import media_keys
from callvault.store.media_keys_repo import AccountPublicKey

router = APIRouter()

ENCRYPTION = "/accounts/{accountId}/encryption"
MODES = ("server-held", "customer-held")


def _settings_json(key: AccountPublicKey | None) -> dict[str, Any]:
    if key is None:
        return {"mode": "server-held"}
    return {
        "mode": "customer-held",
        "publicKeyId": key.key_id,
        "publicKey": key.public_key,
        "updatedTime": format_iso_time(key.created_at),
    }


@router.get(ENCRYPTION)
def get_account_encryption(request: Request, accountId: str) -> JSONResponse:
    """How the account's recordings are keyed: `server-held` (the master key) or `customer-held`."""
    authorize(request, accountId, Permission.READ)
    key = media_keys.get_account_public_key(services_of(request).store, accountId)
    return JSONResponse(_settings_json(key))


@router.put(ENCRYPTION)
async def update_account_encryption(request: Request, accountId: str) -> JSONResponse:
    """`{"mode": "customer-held", "publicKey": PEM}` seals recordings finished from now on to that RSA key;
    `{"mode": "server-held"}` goes back to the master key for new recordings (sealed ones stay sealed)."""
    await run_in_threadpool(authorize, request, accountId, Permission.GOVERN)
    body = await read_json(request)
    if not isinstance(body, dict) or body.get("mode") not in MODES:
        raise ValidationFailed("Invalid field 'mode': use 'server-held' or 'customer-held'")
    unknown = set(body) - {"mode", "publicKey"}
    if unknown:
        raise ValidationFailed(f"Unknown field {sorted(unknown)[0]!r}: expected mode and publicKey")
    store = services_of(request).store
    if body["mode"] == "server-held":
        if "publicKey" in body:
            raise ValidationFailed("Invalid field 'publicKey': server-held mode takes no public key")
        await run_in_threadpool(media_keys.remove_account_public_key, store, accountId)
        return JSONResponse(_settings_json(None))
    pem = body.get("publicKey")
    if not isinstance(pem, str):
        raise ValidationFailed("Missing field 'publicKey': a PEM-encoded RSA public key (2048 bits or more)")
    key = await run_in_threadpool(media_keys.set_account_public_key, store, accountId, pem)
    return JSONResponse(_settings_json(key))
