"""The two calls every governance use case (retention, holds, redaction, erasure) makes: the role
check and the access-log entry.

`require_permission` maps a use case's permission to the role table's (`domain/roles.py`) and checks
it on the actor's `Principal` (API and console: the same check `api/auth.permit` makes; at the CLI the
operator acts with every right). `record_audit` appends the event to the tamper-evident access log
(`services/audit.record`), with who, from where and the result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from callvault.domain.audit import ActorKind
from callvault.domain.roles import Permission
from callvault.services.audit import AuditLog, record
from callvault.services.auth import Principal

log = logging.getLogger("callvault.governance")

PERMISSIONS: dict[str, Permission] = {
    "policy.read": Permission.READ,
    "policy.manage": Permission.GOVERN,
    "hold.read": Permission.READ,
    "hold.place": Permission.GOVERN,
    "hold.release": Permission.GOVERN,
    "recording.erase": Permission.GOVERN,
    "erasure.read": Permission.AUDIT,
}
"""The governance use cases' permissions, as the role table names them."""


@dataclass(frozen=True)
class Actor:
    """Who asks: a user or credential (API, console: with its `Principal`) or an operator at the CLI
    (no principal: every right), from where, and the access log its events go to."""

    name: str
    address: str | None = None
    principal: Principal | None = None
    audit: AuditLog | None = None


def require_permission(actor: Actor, account_id: str, permission: str) -> None:
    """AccessDenied (403) unless the actor's role in the account grants `permission`."""
    needed = PERMISSIONS[permission]
    if actor.principal is not None:
        actor.principal.require(account_id, needed)


def record_audit(actor: Actor, account_id: str, action: str, target: str, result: str, **detail: Any) -> None:
    """Append one access-log entry for a governance event."""
    log.info("%s account=%s actor=%s target=%s result=%s", action, account_id, actor.name, target, result)
    if actor.audit is None:
        return
    kind = actor.principal.kind if actor.principal is not None else ActorKind.OPERATOR
    record(
        actor.audit,
        actor=actor.name,
        actor_kind=kind,
        action=action,
        result=result,
        account_id=account_id,
        address=actor.address,
        target=target,
        **detail,
    )
