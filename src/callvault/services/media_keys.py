"""Encryption at rest as the use cases see it: the master keys, each blob's data key, customer keys.

- :func:`load_master_keys`: the server's master keys at start: ``CALLVAULT_MASTER_KEY``, or the key
  file (created on an install's first start, with a warning to back it up). A missing file while the
  database holds encrypted media, or a file without the key the database's data keys need, stops the
  start with one clear error and changes nothing.
- :class:`MediaKeyDirectory`: the blob store wrapper's :class:`~callvault.media.encrypted.DataKeySource`
  (data keys in ``media_keys``, wrapped by the master key or sealed to the account's public key).
- :func:`seal_if_customer_held`: a finished recording of a customer-held account is sealed (its data
  key wrapped to the account's public key, the server's copy dropped) in the transaction that
  finishes it, or, when a transcription is queued, in the one that stores the transcript.
- :func:`media_errors`: blob-store integrity and key errors as the API's error envelope.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection

from callvault.domain.errors import MediaIntegrityFailed, MediaSealed, ValidationFailed
from callvault.domain.timefmt import utcnow
from callvault.media.encrypted import BlobIntegrityError, MediaKeyUnavailable, StoredKey
from callvault.media.master_keys import MasterKeyError, MasterKeyRing, create_key_file
from callvault.media.sealed_media import KeyMaterialError, parse_public_key, wrap_data_key
from callvault.settings import Settings
from callvault.store import media_keys_repo, system_settings_repo
from callvault.store.database import MetadataStore
from callvault.store.media_keys_repo import AccountPublicKey

log = logging.getLogger("callvault")

MASTER_KEY_ID = "master_key_id"
"""system_settings: the id of the master key this database's data keys are wrapped by."""


def load_master_keys(settings: Settings, store: MetadataStore, *, create: bool) -> MasterKeyRing | None:
    """The master keys this process uses; None when there is no key file yet, nothing is encrypted and
    ``create`` is off (a command that writes no media makes none). Raises :class:`MasterKeyError`
    with what to do."""
    if settings.master_key is not None:
        ring = MasterKeyRing.from_environment(settings.master_key.get_secret_value())
    else:
        path = settings.resolved_master_key_file
        _refuse_inside_media(path, settings.resolved_media_url)
        if not path.exists() and not _create_key_file(path, store, create):
            return None
        ring = MasterKeyRing.from_file(path)
    with store.write() as conn:
        recorded = system_settings_repo.get_or_add(conn, MASTER_KEY_ID, ring.current.key_id, utcnow())
    if recorded not in ring.key_ids:
        where = ring.path or "CALLVAULT_MASTER_KEY"
        raise MasterKeyError(
            f"this database's recordings are encrypted under master key {recorded}, which {where} does not "
            f"hold (it holds {', '.join(ring.key_ids)}): use the key file of the first server "
            "(CALLVAULT_MASTER_KEY_FILE or CALLVAULT_MASTER_KEY)"
        )
    return ring


def _create_key_file(path: Path, store: MetadataStore, create: bool) -> bool:
    with store.read() as conn:
        recorded = system_settings_repo.get(conn, MASTER_KEY_ID)
        encrypted = media_keys_repo.any_server_held(conn)
    if recorded or encrypted:
        raise MasterKeyError(
            f"the master key file {path} is missing, but this database's recordings are encrypted under "
            f"master key {recorded or '(unknown)'}: restore the file from your backup or point "
            "CALLVAULT_MASTER_KEY_FILE at it. Nothing was changed."
        )
    if not create:
        return False
    if create_key_file(path):
        log.warning(
            "Created the master key file %s: it encrypts every recording from now on. Back it up "
            "(apart from the media): without it the recordings cannot be read.",
            path,
        )
    return True


def _refuse_inside_media(key_file: Path, media_url: str) -> None:
    if "://" in media_url and not media_url.startswith("file://"):
        return
    media_dir = Path(media_url.removeprefix("file://")).expanduser().resolve()
    if key_file.resolve().is_relative_to(media_dir):
        raise MasterKeyError(
            f"the master key file {key_file} lies inside the media store {media_dir}: a copy of the media "
            "would carry its key. Keep it beside the data (CALLVAULT_MASTER_KEY_FILE)."
        )


class MediaKeyDirectory:
    """Data keys in the database, wrapped by the master key ring (the wrapper's key source). The
    ring is loaded at start, or on the first write when the install has no key file yet."""

    def __init__(self, settings: Settings, store: MetadataStore, *, create_master_key: bool) -> None:
        self.settings = settings
        self.store = store
        self._ring = load_master_keys(settings, store, create=create_master_key)

    @property
    def ring(self) -> MasterKeyRing:
        if self._ring is None:
            self._ring = load_master_keys(self.settings, self.store, create=True)
            assert self._ring is not None
        return self._ring

    def create(self, blob_key: str, data_key: bytes) -> None:
        key_id, wrapped = self.ring.wrap(data_key, blob_key)
        with self.store.write() as conn:
            media_keys_repo.insert_key(conn, blob_key, key_id, wrapped, utcnow())

    def lookup(self, blob_key: str) -> StoredKey | None:
        with self.store.read_statement() as conn:
            row = media_keys_repo.get_key(conn, blob_key)
        if row is None:
            return None
        if row.master_key_id is not None and row.master_wrapped is not None:
            try:
                return StoredKey(self.ring.unwrap(row.master_key_id, row.master_wrapped, blob_key))
            except MasterKeyError as exc:
                return StoredKey(None, str(exc))
        return StoredKey(None, f"it is sealed to the account's public key {row.sealed_key_id}", sealed=True)

    def forget(self, blob_key: str) -> None:
        with self.store.write() as conn:
            media_keys_repo.delete_key(conn, blob_key)

    def seal(self, conn: Connection, blob_key: str, account_key: AccountPublicKey) -> bool:
        """Wrap the blob's data key to the account's public key and drop the server's copy."""
        row = media_keys_repo.get_key(conn, blob_key)
        if row is None or row.master_key_id is None or row.master_wrapped is None:
            return False
        data_key = self.ring.unwrap(row.master_key_id, row.master_wrapped, blob_key)
        wrapped = wrap_data_key(parse_public_key(account_key.public_key), data_key)
        return media_keys_repo.seal_key(conn, blob_key, row.master_key_id, account_key.key_id, wrapped)


def seal_if_customer_held(
    conn: Connection,
    directory: MediaKeyDirectory | None,
    account_id: str,
    recording_id: str,
    media_key: str | None,
) -> bool:
    """Seal the recording's media when its account holds the key and no transcription still needs it."""
    if directory is None or media_key is None:
        return False
    account_key = media_keys_repo.get_public_key(conn, account_id)
    if account_key is None or media_keys_repo.transcription_pending(conn, account_id, recording_id):
        return False
    return directory.seal(conn, media_key, account_key)


def require_unsealed(conn: Connection, recording_id: str, media_key: str) -> None:
    row = media_keys_repo.get_key(conn, media_key)
    if row is not None and row.sealed_key_id is not None:
        raise _sealed(recording_id)


def _sealed(recording_id: str) -> MediaSealed:
    return MediaSealed(
        f"Recording {recording_id} is sealed to the account's public key: callvault cannot decrypt it. "
        "Download it and run `callvault decrypt FILE --private-key KEY`."
    )


@contextmanager
def media_errors(recording_id: str) -> Iterator[None]:
    """Blob integrity and key errors raised inside as the API's error envelope."""
    try:
        yield
    except MediaKeyUnavailable as exc:
        if exc.sealed:
            raise _sealed(recording_id) from exc
        log.error("recording %s: %s", recording_id, exc)
        raise MediaIntegrityFailed(
            f"The media of recording {recording_id} cannot be decrypted: its data key cannot be unwrapped "
            "with this server's master key. It is not served."
        ) from exc
    except BlobIntegrityError as exc:
        log.error("recording %s: %s", recording_id, exc)
        raise MediaIntegrityFailed(
            f"The media of recording {recording_id} failed its integrity check ({exc}). It is not served."
        ) from exc


def set_account_public_key(store: MetadataStore, account_id: str, pem: str) -> AccountPublicKey:
    """Make the account customer-held: its recordings are sealed to this key from now on."""
    try:
        key = parse_public_key(pem)
    except KeyMaterialError as exc:
        raise ValidationFailed(f"Invalid publicKey: {exc}") from None
    with store.write() as conn:
        media_keys_repo.put_public_key(conn, account_id, key.key_id, key.pem, utcnow())
        stored = media_keys_repo.get_public_key(conn, account_id)
    assert stored is not None
    return stored


def get_account_public_key(store: MetadataStore, account_id: str) -> AccountPublicKey | None:
    with store.read() as conn:
        return media_keys_repo.get_public_key(conn, account_id)


def remove_account_public_key(store: MetadataStore, account_id: str) -> bool:
    """Back to server-held for recordings finished from now on (sealed ones stay sealed)."""
    with store.write() as conn:
        return media_keys_repo.remove_public_key(conn, account_id)
