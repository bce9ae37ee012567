"""The `callvault` command line."""

from __future__ import annotations

import typer

from callvault.cli import (
    audit,
    calls,
    credentials,
    db,
    governance,
    importer,
    keys,
    media,
    search,
    serve,
    sip,
    sources,
    users,
)

app = typer.Typer(
    help="callvault: a self-hosted Bandwidth-compatible call-recording service.", no_args_is_help=True
)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("sip")(sip.sip)
app.add_typer(users.app, name="users")
app.add_typer(db.app, name="db")
app.add_typer(calls.app, name="call")
app.add_typer(media.app, name="media")
app.add_typer(keys.app, name="keys")
app.command("decrypt")(keys.decrypt)
app.command("import")(importer.import_recordings)
app.command("search")(search.search)
app.add_typer(sources.sip_app, name="sip-sources")
app.add_typer(sources.token_app, name="stream-tokens")
app.add_typer(sources.accounts_app, name="accounts")
app.add_typer(credentials.app, name="credentials")
app.add_typer(audit.app, name="audit")
app.add_typer(governance.retention_app, name="retention")
app.add_typer(governance.holds_app, name="holds")
app.add_typer(governance.redaction_app, name="redaction")
app.command("erase")(governance.erase)


def main() -> None:
    app()
