"""`callvault users add|list|remove|passwd|role`: users and their role in each account."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer
from rich.table import Table

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.domain.roles import Role
from callvault.services import auth
from callvault.store import users_repo

app = typer.Typer(help="Manage the users who may call the API.", no_args_is_help=True)


def _password(value: str | None) -> str:
    return value or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    name: str,
    password: str = typer.Option(None, "--password", help="Prompted for when omitted"),
    account: list[str] = typer.Option(
        ..., "--account", help="Account the user may use, as ACCOUNT or ACCOUNT:ROLE (repeatable)"
    ),
    role: str = typer.Option(
        None,
        "--role",
        help="Role in the accounts given without one: owner, admin, member (default), auditor, listener",
    ),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        roles = auth.parse_account_roles(account, role)
        auth.add_user(services.store, name, _password(password), account, role)
    except VoiceApiError as exc:
        fail(exc.description)
    console.print(f"added user {name!r} with accounts {_roles_text(roles)}")


def _roles_text(roles: Mapping[str, Role]) -> str:
    return ", ".join(f"{account} ({roles[account].value})" for account in sorted(roles))


@app.command("role")
def set_role(
    name: str,
    account: str = typer.Option(..., "--account", help="The account (added to the user's when new)"),
    role: str = typer.Option(..., "--role", help="owner, admin, member, auditor or listener"),
    data_dir: Path = DataDirOption,
) -> None:
    """Give a user a role in an account (takes effect within CALLVAULT_AUTH_CACHE_SECONDS)."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        given = auth.set_role(services.store, name, account, role)
    except VoiceApiError as exc:
        fail(f"{exc.description}: nothing was changed")
    console.print(f"{name!r} is now {given.value} in account {account}")


@app.command("list")
def list_users(data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    with services.store.read() as conn:
        found = users_repo.list_users(conn)
    table = Table("user", "accounts (role)")
    for user in found:
        table.add_row(user.name, _roles_text(user.roles))
    out.print(table)


@app.command("remove")
def remove(name: str, data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        auth.remove_user(services.store, name)
    except VoiceApiError as exc:
        fail(exc.description)
    console.print(f"removed user {name!r}")


@app.command("passwd")
def passwd(
    name: str,
    password: str = typer.Option(None, "--password", help="Prompted for when omitted"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    with services.store.read() as conn:
        if users_repo.get_user(conn, name) is None:
            fail(f"no user {name!r}: nothing was changed")
    try:
        auth.change_password(services.store, name, _password(password))
    except VoiceApiError as exc:
        fail(exc.description)
    console.print(f"changed the password of {name!r}")
