"""`callvault retention …`, `callvault holds …`, `callvault redaction …` and `callvault erase`:
governance at the command line.

The operator at the CLI acts as `cli:<login name>` (that name is what holds, receipts and the audit
entries record).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import typer

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.services import erasure, legal_holds, redaction, retention
from callvault.services.container import Services
from callvault.services.governance_hooks import Actor
from callvault.services.wire import erasure_receipt_json, legal_hold_json

retention_app = typer.Typer(help="Retention policies: how long recordings are kept.", no_args_is_help=True)
holds_app = typer.Typer(help="Legal holds: recordings nothing may remove.", no_args_is_help=True)
redaction_app = typer.Typer(help="PII redaction of transcripts and audio.", no_args_is_help=True)


def _actor(services: Services) -> Actor:
    return Actor(f"cli:{getpass.getuser()}", "local", audit=services.audit)


def _print(value: Any) -> None:
    out.print_json(json.dumps(value))


@retention_app.command("show")
def show_retention(account: str = typer.Option(..., "--account"), data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        _print(retention.get_policy(services.store, _actor(services), account).to_json())
    finally:
        services.close()


@retention_app.command("set")
def set_retention(
    account: str = typer.Option(..., "--account"),
    media_days: int = typer.Option(None, "--media-days", help="Remove media this many days after the start"),
    transcript_days: int = typer.Option(None, "--transcript-days", help="Remove transcripts after N days"),
    metadata_days: int = typer.Option(
        None, "--metadata-days", help="Remove the whole recording after N days"
    ),
    data_dir: Path = DataDirOption,
) -> None:
    """Replace the account's retention policy (a stage left out is kept forever)."""
    services = open_services(load_settings(data_dir=data_dir))
    body = {"mediaDays": media_days, "transcriptDays": transcript_days, "metadataDays": metadata_days}
    try:
        _print(retention.set_policy(services.store, _actor(services), account, body).to_json())
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()


@retention_app.command("run")
def run_retention(
    account: str = typer.Option(None, "--account", help="Only this account (default: every account)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; remove nothing"),
    data_dir: Path = DataDirOption,
) -> None:
    """Apply the retention policies now (held recordings are kept); prints `stage<TAB>recording id`."""
    settings = load_settings(data_dir=data_dir)
    services = open_services(settings)
    try:
        report = retention.run_retention(
            services.store, grace_seconds=settings.purge_grace, dry_run=dry_run, account_id=account
        )
    finally:
        services.close()
    for stage, recording_ids in report.removed.items():
        for recording_id in recording_ids:
            out.print(f"{stage}\t{recording_id}", highlight=False)
    console.print(report.summary())


@redaction_app.command("show")
def show_redaction(account: str = typer.Option(..., "--account"), data_dir: Path = DataDirOption) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        _print(redaction.get_policy(services.store, _actor(services), account).to_json())
    finally:
        services.close()


@redaction_app.command("set")
def set_redaction(
    account: str = typer.Option(..., "--account"),
    enabled: bool = typer.Option(True, "--enabled/--disabled", help="Redact every transcription"),
    cards: bool = typer.Option(True, "--cards/--no-cards", help="Payment card numbers (Luhn)"),
    ssn: bool = typer.Option(True, "--ssn/--no-ssn", help="US social security numbers"),
    pattern: list[str] = typer.Option([], "--pattern", help="Another regular expression (repeatable)"),
    audio: str = typer.Option("silence", "--audio", help="silence or tone"),
    keep_original: bool = typer.Option(True, "--keep-original/--discard-original"),
    data_dir: Path = DataDirOption,
) -> None:
    """Replace the account's redaction policy."""
    body = {
        "enabled": enabled,
        "cards": cards,
        "ssn": ssn,
        "patterns": pattern,
        "audio": audio,
        "keepOriginal": keep_original,
    }
    services = open_services(load_settings(data_dir=data_dir))
    try:
        _print(redaction.set_policy(services.store, _actor(services), account, body).to_json())
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()


@holds_app.command("place")
def place_hold(
    account: str = typer.Option(..., "--account"),
    recording: str = typer.Option(None, "--recording", help="Hold this recording"),
    call: str = typer.Option(None, "--call", help="Hold every recording of this call, now and later"),
    number: str = typer.Option(None, "--number", help="Hold every recording from or to this number"),
    reason: str = typer.Option(..., "--reason", help="The matter or request the hold serves"),
    data_dir: Path = DataDirOption,
) -> None:
    given = [
        (kind, value)
        for kind, value in (("recording", recording), ("call", call), ("number", number))
        if value
    ]
    if len(given) != 1:
        fail("name exactly one of --recording, --call, --number")
    kind, target = given[0]
    services = open_services(load_settings(data_dir=data_dir))
    try:
        hold = legal_holds.place_hold(
            services.store, _actor(services), account, {"type": kind, "target": target, "reason": reason}
        )
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    _print(legal_hold_json(hold))


@holds_app.command("list")
def list_holds(
    account: str = typer.Option(..., "--account"),
    all_holds: bool = typer.Option(False, "--all", help="Released holds too"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        holds = legal_holds.list_holds(services.store, _actor(services), account, active_only=not all_holds)
    finally:
        services.close()
    _print([legal_hold_json(hold) for hold in holds])


@holds_app.command("release")
def release_hold(
    hold_id: str,
    account: str = typer.Option(..., "--account"),
    reason: str = typer.Option(..., "--reason", help="Why the hold ends"),
    data_dir: Path = DataDirOption,
) -> None:
    services = open_services(load_settings(data_dir=data_dir))
    try:
        hold = legal_holds.release_hold(services.store, _actor(services), account, hold_id, reason)
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    _print(legal_hold_json(hold))


def erase(
    account: str = typer.Option(..., "--account"),
    number: str = typer.Option(..., "--number", help="The phone number (E.164) whose recordings to erase"),
    data_dir: Path = DataDirOption,
) -> None:
    """Erase every recording from or to a number (media, transcript, search entries); print the receipt."""
    settings = load_settings(data_dir=data_dir)
    services = open_services(settings)
    try:
        receipt = erasure.erase_number(
            services.store, _actor(services), account, number, grace_seconds=settings.purge_grace
        )
    except VoiceApiError as exc:
        fail(exc.description)
    finally:
        services.close()
    _print(erasure_receipt_json(receipt))
    if receipt.held:
        console.print(f"{len(receipt.held)} recording(s) kept: legal holds cover them (see the receipt)")
