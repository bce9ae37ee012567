"""`callvault sip-sources`, `callvault stream-tokens` and `callvault accounts recording`: where
calls recorded from outside come from, and how their account records them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.table import Table

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.services import recording_sources

sip_app = typer.Typer(help="SIPREC clients (SBCs, PBXs) allowed to record calls.", no_args_is_help=True)
token_app = typer.Typer(help="Tokens that let a CPaaS media stream into an account.", no_args_is_help=True)
accounts_app = typer.Typer(help="Per-account settings.", no_args_is_help=True)


@sip_app.command("add")
def add_sip_source(
    name: str,
    account: str = typer.Option(..., "--account", help="Account the source's sessions are recorded in"),
    network: list[str] = typer.Option([], "--network", help="IP or CIDR the source sends from (repeatable)"),
    username: str = typer.Option(None, "--username", help="Digest username the source must log in with"),
    password: str = typer.Option(None, "--password", help="Digest password (with --username)"),
    data_dir: Path = DataDirOption,
) -> None:
    settings = load_settings(data_dir=data_dir)
    services = open_services(settings)
    try:
        _, warnings = recording_sources.add_sip_source(
            services.store,
            name,
            account,
            networks=network,
            username=username,
            password=password,
            realm=settings.sip_realm,
        )
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    for warning in warnings:
        console.print(f"warning: {warning}")
    console.print(f"added SIP source {name!r} for account {account}")


@sip_app.command("remove")
def remove_sip_source(name: str, data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        recording_sources.remove_sip_source(services.store, name)
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    console.print(f"removed SIP source {name!r}")


@sip_app.command("list")
def list_sip_sources(data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    table = Table("name", "account", "networks", "username")
    for source in recording_sources.list_sip_sources(services.store):
        table.add_row(
            source.name, source.account_id, " ".join(source.networks) or "any", source.username or ""
        )
    services.close()
    out.print(table)


@token_app.command("create")
def create_token(
    name: str,
    account: str = typer.Option(..., "--account", help="Account the streams are recorded in"),
    data_dir: Path = DataDirOption,
) -> None:
    """Print a new token (shown once; only its hash is kept)."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        token, secret = recording_sources.create_stream_token(services.store, name, account)
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    console.print(f"stream token {token.token_id} ({name!r}) for account {account}:")
    out.print(secret)


@token_app.command("revoke")
def revoke_token(token_id: int, data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        recording_sources.revoke_stream_token(services.store, token_id)
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    console.print(f"revoked stream token {token_id}")


@token_app.command("list")
def list_tokens(
    account: str = typer.Option(None, "--account", help="Only this account's tokens"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    table = Table("id", "name", "account", "created", "revoked")
    for token in recording_sources.list_stream_tokens(services.store, account):
        revoked = token.revoked_at.isoformat() if token.revoked_at else ""
        table.add_row(
            str(token.token_id), token.name, token.account_id, token.created_at.isoformat(), revoked
        )
    services.close()
    out.print(table)


@accounts_app.command("recording")
def recording_settings(
    account: str,
    recording_available_url: str = typer.Option(None, "--recording-available-url"),
    recording_available_method: str = typer.Option(None, "--recording-available-method", help="POST or GET"),
    username: str = typer.Option(None, "--callback-username", help="Basic auth for the callbacks"),
    password: str = typer.Option(None, "--callback-password"),
    file_format: str = typer.Option(None, "--format", help="wav or mp3"),
    multichannel: bool = typer.Option(None, "--multichannel/--mono", help="One channel per party"),
    transcribe: bool = typer.Option(None, "--transcribe/--no-transcribe"),
    transcription_available_url: str = typer.Option(None, "--transcription-available-url"),
    detect_language: bool = typer.Option(None, "--detect-language/--no-detect-language"),
    tag: str = typer.Option(None, "--tag"),
    data_dir: Path = DataDirOption,
) -> None:
    """Show, or change, how calls recorded from outside (SIPREC, media streams) are recorded."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        settings = recording_sources.update_recording_settings(
            services.store,
            account,
            recording_available_url=recording_available_url,
            recording_available_method=recording_available_method.upper()
            if recording_available_method
            else None,
            username=username,
            password=password,
            file_format=file_format,
            multi_channel=multichannel,
            transcribe=transcribe,
            transcription_available_url=transcription_available_url,
            detect_language=detect_language,
            tag=tag,
        )
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    for key, value in dataclasses.asdict(settings).items():
        out.print(f"{key}: {'***' if key == 'password' and value else value}")
