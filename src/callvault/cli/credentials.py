"""`callvault credentials create|list|revoke`: API credentials (client_id/secret per account and role)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.domain.timefmt import format_iso_time

app = typer.Typer(
    help="API credentials: client_id/client_secret pairs per account and role.", no_args_is_help=True
)


@app.command("create")
def create(
    account: str = typer.Option(..., "--account", help="The account the credential may use"),
    role: str = typer.Option(..., "--role", help="owner, admin, member, auditor or listener"),
    name: str = typer.Option(None, "--name", help="What it is for (shown by list)"),
    data_dir: Path = DataDirOption,
) -> None:
    """Make a credential and print its secret: the only time it is shown."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        made = services.credentials.create(account, role, name)
    except VoiceApiError as exc:
        fail(exc.description)
    out.print(f"client_id={made.client_id}")
    out.print(f"client_secret={made.client_secret}")
    console.print(
        f"made a {made.role} credential for account {made.account_id}: "
        "keep the secret now, it is not shown again"
    )


@app.command("list")
def list_credentials(
    account: str = typer.Option(None, "--account", help="Only this account's credentials"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        found = services.credentials.list(account)
    except VoiceApiError as exc:
        fail(exc.description)
    table = Table("client_id", "account", "role", "name", "created", "last used", "revoked")
    for stored in found:
        table.add_row(
            stored.client_id,
            stored.account_id,
            stored.role.value,
            stored.name or "",
            format_iso_time(stored.created_at),
            format_iso_time(stored.last_used_at) if stored.last_used_at else "never",
            format_iso_time(stored.revoked_at) if stored.revoked_at else "",
        )
    out.print(table)


@app.command("revoke")
def revoke(client_id: str, data_dir: Path = DataDirOption) -> None:
    """Revoke a credential: its Basic auth and its tokens stop working in every server process within
    CALLVAULT_AUTH_CACHE_SECONDS."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        services.credentials.revoke(client_id)
    except VoiceApiError as exc:
        fail(f"{exc.description}: nothing was changed")
    console.print(f"revoked {client_id}")
