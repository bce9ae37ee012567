"""`callvault keys ...` (master key rotation, account keys) and `callvault decrypt` (sealed media)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from callvault.cli.common import DataDirOption, console, fail, load_settings, open_services, out
from callvault.domain.errors import ValidationFailed
from callvault.media.chunked_cipher import BlobIntegrityError
from callvault.media.master_keys import MasterKeyError
from callvault.media.sealed_media import KeyMaterialError, SealedFileError, decrypt_sealed, load_private_key
from callvault.services import key_rotation, media_keys
from callvault.store import media_keys_repo

app = typer.Typer(help="Encryption keys: the master key, accounts' public keys.", no_args_is_help=True)


@app.command("status")
def status(data_dir: Path = DataDirOption) -> None:
    """Where the master key is, and how many recordings each key holds."""
    services = open_services(load_settings(data_dir=data_dir))
    try:
        ring = services.media_keys.ring
        with services.store.read() as conn:
            counts = media_keys_repo.counts_by_master_key(conn)
    finally:
        services.close()
    out.print(f"master key file\t{ring.path or 'CALLVAULT_MASTER_KEY'}")
    out.print(f"current master key\t{ring.current.key_id}")
    for key_id, count in sorted(counts.items(), key=lambda item: str(item[0])):
        out.print(f"{'sealed to account keys' if key_id is None else 'wrapped by ' + key_id}\t{count}")


@app.command("rotate")
def rotate(
    settle: float = typer.Option(
        5.0, "--settle", min=0, help="Seconds to wait for late writes before the old key goes"
    ),
    data_dir: Path = DataDirOption,
) -> None:
    """A new master key re-wraps every server-held data key (media is not re-encrypted); resumable.

    The key file keeps the old key until every data key is re-wrapped. Back up the new key file after.
    """
    services = open_services(load_settings(data_dir=data_dir))
    ring = services.media_keys.ring
    try:
        started = key_rotation.start_rotation(services.store, ring)
        console.print(
            f"new master key {ring.current.key_id}"
            if started
            else f"resuming the rotation to {ring.current.key_id}"
        )
        pending = key_rotation.pending_rewraps(services.store, ring)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("re-wrapping data keys", total=pending)
            done = key_rotation.rewrap_all(services.store, ring, lambda: progress.advance(task))
        late, pruned = key_rotation.finish_rotation(services.store, ring, settle)
    except MasterKeyError as exc:
        fail(str(exc))
    finally:
        services.close()
    console.print(
        f"re-wrapped {done + late} data key(s) under master key {ring.current.key_id}"
        + (f"; removed old key(s) {', '.join(pruned)} from {ring.path}" if pruned else "")
    )
    if ring.path:
        console.print(
            f"[yellow]Back up {ring.path} now: the old backup no longer opens the recordings.[/yellow]"
        )


@app.command("customer")
def customer(
    account: str = typer.Argument(..., help="Account id"),
    public_key: Path = typer.Option(None, "--public-key", help="PEM RSA public key (2048+ bits)"),
    server_held: bool = typer.Option(
        False, "--server-held", help="Back to server-held keys for new recordings"
    ),
    data_dir: Path = DataDirOption,
) -> None:
    """Make an account customer-held (its recordings sealed to PUBLIC_KEY) or server-held again."""
    if (public_key is None) == (not server_held):
        fail("give --public-key FILE or --server-held")
    services = open_services(load_settings(data_dir=data_dir))
    try:
        if server_held:
            media_keys.remove_account_public_key(services.store, account)
            console.print(f"account {account}: server-held (recordings already sealed stay sealed)")
            return
        try:
            pem = public_key.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{public_key}: {exc}")
            raise
        try:
            stored = media_keys.set_account_public_key(services.store, account, pem)
        except ValidationFailed as exc:
            fail(f"{public_key}: {exc.description}")
            raise
        console.print(f"account {account}: customer-held, recordings sealed to key {stored.key_id}")
    finally:
        services.close()


def decrypt(
    file: Path = typer.Argument(
        ..., help="A sealed-media file as the API serves it", exists=True, dir_okay=False
    ),
    private_key: Path = typer.Option(..., "--private-key", help="The account's PEM RSA private key"),
    output: Path = typer.Option(
        None, "--output", "-o", help="Where to write the audio (default: FILE without .sealed)"
    ),
    passphrase: str = typer.Option(
        None, "--passphrase", envvar="CALLVAULT_PRIVATE_KEY_PASSPHRASE", hide_input=True
    ),
) -> None:
    """Decrypt a customer-held recording offline with the account's private key."""
    target = output or (
        file.with_suffix("") if file.suffix == ".sealed" else file.with_name(file.name + ".audio")
    )
    temp = target.with_name(f".{target.name}.part")
    try:
        key = load_private_key(private_key.read_bytes(), passphrase.encode() if passphrase else None)
        with file.open("rb") as source, temp.open("wb") as sink:
            for chunk in decrypt_sealed(source, key, file.stat().st_size):
                sink.write(chunk)
        temp.replace(target)
    except (KeyMaterialError, SealedFileError, BlobIntegrityError, OSError) as exc:
        temp.unlink(missing_ok=True)
        fail(f"{file}: {exc}")
    console.print(f"wrote {target}")
