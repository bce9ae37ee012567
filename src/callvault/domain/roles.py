"""Who may do what in an account: the roles, the permissions, and the one table between them.

A user has one role per account it may use; an API credential has one account and one role. Every
route names the one permission it needs (`Permission.DOWNLOAD`, ...) and `services.auth.Principal.require`
answers 403 when the role lacks it. `member` is what every user could do before roles existed, and
the role existing users get.
"""

from __future__ import annotations

from enum import StrEnum

from callvault.domain.errors import ValidationFailed


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    AUDITOR = "auditor"
    LISTENER = "listener"


class Permission(StrEnum):
    READ = "read"
    """Recording and call metadata: lists, one recording, a call's state, webhook deliveries."""
    DOWNLOAD = "download"
    """A recording's audio: download, play (any byte range), its waveform."""
    TRANSCRIPT = "transcript"
    """What was said: a transcript, transcript search."""
    TRANSCRIBE = "transcribe"
    """Ask for a transcription."""
    DELETE = "delete"
    """Delete a recording, its media or its transcript."""
    RECORD = "record"
    """Put audio in: ingest, live calls and their recording state, media WebSockets and streams."""
    AUDIT = "audit"
    """Read the access log."""
    GOVERN = "govern"
    """Account policies: retention, legal holds (placing and releasing), erasure."""
    MANAGE = "manage"
    """Users' roles and API credentials of the account."""


_MEMBER = frozenset(
    {
        Permission.READ,
        Permission.DOWNLOAD,
        Permission.TRANSCRIPT,
        Permission.TRANSCRIBE,
        Permission.DELETE,
        Permission.RECORD,
    }
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: _MEMBER | {Permission.GOVERN},
    Role.MEMBER: _MEMBER,
    Role.AUDITOR: frozenset({Permission.READ, Permission.AUDIT}),
    Role.LISTENER: frozenset({Permission.READ, Permission.DOWNLOAD, Permission.TRANSCRIPT}),
}
"""The one place that says what each role may do."""

DEFAULT_ROLE = Role.MEMBER


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def parse_role(value: str) -> Role:
    """A role by name; ValidationFailed naming the roles there are for any other text."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise ValidationFailed(f"Unknown role {value[:32]!r}: use one of {names}") from None
