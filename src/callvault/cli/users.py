"""`callvault users add|list|remove|passwd`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.services import auth
from callvault.store import users_repo

app = typer.Typer(help="Manage the users who may call the API.", no_args_is_help=True)


def _password(value: str | None) -> str:
    return value or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    name: str,
    password: str = typer.Option(None, "--password", help="Prompted for when omitted"),
    account: list[str] = typer.Option(..., "--account", help="Account the user may use (repeatable)"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        auth.add_user(services.store, name, _password(password), account)
    except VoiceApiError as exc:
        fail(exc.description)
    console.print(f"added user {name!r} with accounts {', '.join(sorted(set(account)))}")


@app.command("list")
def list_users(data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    with services.store.read() as conn:
        found = users_repo.list_users(conn)
    table = Table("user", "accounts")
    for user in found:
        table.add_row(user.name, ", ".join(sorted(user.accounts)))
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
