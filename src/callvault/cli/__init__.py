"""The `callvault` command line."""

from __future__ import annotations

import typer

from callvault.cli import calls, db, importer, media, search, serve, users

app = typer.Typer(
    help="callvault: a self-hosted Bandwidth-compatible call-recording service.", no_args_is_help=True
)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(users.app, name="users")
app.add_typer(db.app, name="db")
app.add_typer(calls.app, name="call")
app.add_typer(media.app, name="media")
app.command("import")(importer.import_recordings)
app.command("search")(search.search)


def main() -> None:
    app()
