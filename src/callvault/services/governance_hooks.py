"""MERGE POINT: the two calls every governance use case makes, one function per concern.

`require_permission` is where the role check goes (the "roles" work: roles per account and one
permission table) and `record_audit` where the access-log entry goes (the tamper-evident log's
`record(...)`). Until those land, the check lets every user of the account through (today's rights:
`api/auth.authorize` has already checked the account) and the audit entry is a structured log line.
Each use case calls each of them exactly once, naming its permission and its event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("callvault.governance")

PERMISSIONS = (
    "policy.read",
    "policy.manage",
    "hold.read",
    "hold.place",
    "hold.release",
    "recording.erase",
    "erasure.read",
)
"""The permissions the governance use cases ask for (the role table maps roles to them)."""


@dataclass(frozen=True)
class Actor:
    """Who asks: a user (API, console) or an operator at the CLI, and from where."""

    name: str
    address: str | None = None


def require_permission(actor: Actor, account_id: str, permission: str) -> None:
    """Raise AccessDenied unless `actor` may do `permission` in the account. MERGE POINT (roles)."""
    assert permission in PERMISSIONS, permission


def record_audit(actor: Actor, account_id: str, action: str, target: str, result: str, **detail: Any) -> None:
    """Append one access-log entry. MERGE POINT (audit log)."""
    log.info(
        "audit account=%s actor=%s address=%s action=%s target=%s result=%s %s",
        account_id,
        actor.name,
        actor.address or "-",
        action,
        target,
        result,
        detail,
    )
