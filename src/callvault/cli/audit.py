"""`callvault audit list|export|verify|public-key`: the access log from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import VoiceApiError
from callvault.services import access_log
from callvault.services.audit_signing import load_or_create_private_key, public_key_pem
from callvault.store.audit_repo import EntryFilter

app = typer.Typer(help="The access log: who read or changed which recording.", no_args_is_help=True)

AccountOption = typer.Option(None, "--account", help="Only this account's entries")
RecordingOption = typer.Option(None, "--recording", help="Only entries about this recording id")
UserOption = typer.Option(None, "--user", help="Only entries of this user or client_id")
FromOption = typer.Option(None, "--from", help="At or after this ISO time")
ToOption = typer.Option(None, "--to", help="Before this ISO time")


def _filter(
    account: str | None, recording: str | None, user: str | None, since: str | None, until: str | None
) -> EntryFilter:
    try:
        return access_log.build_filter(account, recording_id=recording, actor=user, since=since, until=until)
    except VoiceApiError as exc:
        fail(exc.description)
        raise


@app.command("list")
def list_entries(
    account: str = AccountOption,
    recording: str = RecordingOption,
    user: str = UserOption,
    since: str = FromOption,
    until: str = ToOption,
    limit: int = typer.Option(50, "--limit", min=1, max=access_log.PAGE_LIMIT),
    data_dir: Path = DataDirOption,
) -> None:
    """The oldest matching entries first (use --from to start later)."""
    services = open_services(load_settings(data_dir=data_dir))
    page = access_log.find(services.store, _filter(account, recording, user, since, until), limit=limit)
    table = Table("#", "time", "account", "who", "did", "recording", "result", "from", "request")
    for stored in page.entries:
        e, detail = stored.entry, stored.entry.detail
        request = f"{detail.get('method', '')} {detail.get('path', '')} {detail.get('range', '')}".strip()
        table.add_row(
            str(stored.seq),
            access_log.entry_json(stored)["time"],
            e.account_id or "",
            f"{e.actor} ({e.actor_kind})",
            e.action,
            e.recording_id or "",
            e.result,
            e.address or "",
            request or str(detail or ""),
        )
    out.print(table)
    if page.next_after is not None:
        console.print(f"more entries match: the last one shown is #{page.entries[-1].seq}")


@app.command("export")
def export(
    account: str = AccountOption,
    recording: str = RecordingOption,
    user: str = UserOption,
    since: str = FromOption,
    until: str = ToOption,
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output"),
    data_dir: Path = DataDirOption,
) -> None:
    """Every matching entry as JSON lines (with its hashes), oldest first."""
    services = open_services(load_settings(data_dir=data_dir))
    flt = _filter(account, recording, user, since, until)
    target = output.open("wb") if output else sys.stdout.buffer
    count = 0
    try:
        for line in access_log.json_lines(access_log.each(services.store, flt)):
            target.write(line)
            count += 1
    finally:
        if output:
            target.close()
    console.print(f"exported {count} entries")


@app.command("verify")
def verify(
    trust_key: list[Path] = typer.Option(
        [], "--trust-key", help="Also trust this PEM public key (repeatable)"
    ),
    data_dir: Path = DataDirOption,
) -> None:
    """Check the whole chain: every entry's hash and link, the head, and every signed anchor."""
    settings = load_settings(data_dir=data_dir)
    services = open_services(settings)
    for path in trust_key:
        if not path.is_file():
            fail(f"no public key file {path}")
    try:
        report = access_log.verify(services.store, settings.resolved_audit_key_file, trust_key)
    except VoiceApiError as exc:
        fail(exc.description)
        raise
    for problem in report.problems:
        console.print(f"[red]problem:[/red] {problem}")
    summary = f"{report.entries} entries, {report.anchors} signed anchors"
    if not report.ok:
        fail(f"the access log does not verify ({summary})")
    out.print(f"access log intact: {summary}, ending at entry {report.last_seq}")


@app.command("public-key")
def public_key(data_dir: Path = DataDirOption) -> None:
    """The public key of this installation's signing key (give it to auditors: `verify --trust-key`)."""
    settings = load_settings(data_dir=data_dir)
    try:
        key = load_or_create_private_key(settings.resolved_audit_key_file)
    except VoiceApiError as exc:
        fail(exc.description)
        raise
    out.print(public_key_pem(key.public_key()), end="")
