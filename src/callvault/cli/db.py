"""`callvault db upgrade|current`."""

from __future__ import annotations

from pathlib import Path

import typer

from callvault.cli.common import DataDirOption, console, fail, load_settings, out
from callvault.store import migrate
from callvault.store.database import MetadataStore

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(data_dir: Path = DataDirOption) -> None:
    """Apply every migration this callvault knows."""
    settings = load_settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = MetadataStore(settings.resolved_database_url)
    try:
        store.upgrade_schema()
    except migrate.SchemaTooNew as exc:
        fail(str(exc))
    console.print(f"schema at {migrate.current_revision(store.engine)}")


@app.command("current")
def current(data_dir: Path = DataDirOption) -> None:
    """Print the schema revision of the database and the newest this code knows."""
    settings = load_settings(data_dir=data_dir)
    store = MetadataStore(settings.resolved_database_url)
    out.print(f"database: {migrate.current_revision(store.engine)}  code: {migrate.head_revision(store.url)}")
