"""Everything one process runs, built in one place from its settings (no globals: tests build their own).

`Services` holds the metadata store, the media store, the authenticator, the live-call runtime (with
its control bus and media-owner heartbeat) and the speech engine (its model loads on first use);
`close()` stops all of it.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from callvault.calls.control_buses import make_control_bus
from callvault.calls.media_clock import MediaClockLimits
from callvault.calls.runtime import LiveCallRuntime
from callvault.media.blobstore import BlobStore
from callvault.media.encrypted import EncryptedBlobStore
from callvault.media.fallback import FallbackBlobStore
from callvault.media.store_url import open_blob_store
from callvault.services.audit import AuditLog
from callvault.services.audit_signing import AnchorSigner
from callvault.services.auth import Authenticator, add_user
from callvault.services.credentials import CredentialService
from callvault.services.live_recordings import keep_recording
from callvault.services.login_throttle import LoginThrottle
from callvault.services.media_keys import MediaKeyDirectory
from callvault.services.stream_slots import StreamSlots
from callvault.services.telemetry import Telemetry
from callvault.services.tokens import TokenService
from callvault.settings import Settings
from callvault.store import system_settings_repo, users_repo
from callvault.store.database import MetadataStore
from callvault.transcription import Engine, load_engine
from callvault.webhooks.destinations import DestinationPolicy

log = logging.getLogger("callvault")

DEV_ACCOUNT = "9900000"
DEV_USER = "dev"


@dataclass
class Services:
    settings: Settings
    store: MetadataStore
    blobs: BlobStore
    authenticator: Authenticator
    live: LiveCallRuntime
    speech: Engine
    callback_policy: DestinationPolicy
    telemetry: Telemetry
    tokens: TokenService
    stream_slots: StreamSlots
    media_keys: MediaKeyDirectory
    credentials: CredentialService
    audit: AuditLog

    def close(self) -> None:
        self.live.close()
        self.audit.close()
        self.store.dispose()


def build_services(settings: Settings, *, migrate: bool = True, create_master_key: bool = False) -> Services:
    """``create_master_key``: make the master key file now on a new install (``serve`` does, and says
    so); otherwise the first media write makes it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = MetadataStore(settings.resolved_database_url, settings.database_pool_size)
    if migrate:
        store.upgrade_schema()
    else:
        store.check_schema()
    media_keys = MediaKeyDirectory(settings, store, create_master_key=create_master_key)
    blobs = EncryptedBlobStore(
        open_media_store(settings, store), media_keys, encrypt_writes=settings.encrypt_media
    )
    audit = AuditLog(
        store,
        AnchorSigner(settings.resolved_audit_key_file),
        enabled=settings.audit_log,
        anchor_seconds=settings.audit_anchor_seconds,
    )
    authenticator = build_authenticator(settings, store, audit)
    credentials = CredentialService(store, settings.auth_cache_seconds, audit.record)
    return Services(
        settings=settings,
        store=store,
        blobs=blobs,
        media_keys=media_keys,
        authenticator=authenticator,
        credentials=credentials,
        audit=audit,
        tokens=TokenService(store, authenticator, settings.auth_cache_seconds, credentials=credentials),
        live=build_live_runtime(settings, store, blobs, media_keys),
        speech=load_engine(
            model_dir=settings.whisper_model,
            cache_dir=settings.model_cache_dir,
            cpu_threads=settings.transcription_threads,
            workers=settings.transcription_workers,
            beam_size=settings.transcription_beam_size,
            batch_size=settings.transcription_batch_size,
        ),
        callback_policy=DestinationPolicy.from_setting(settings.callback_allow.split(",")),
        telemetry=Telemetry(store, lambda: authenticator.failed_logins + credentials.failed_sign_ins),
        stream_slots=StreamSlots(settings.max_streams_per_source),
    )


def build_authenticator(settings: Settings, store: MetadataStore, audit: AuditLog) -> Authenticator:
    return Authenticator(
        store,
        settings.auth_cache_seconds,
        throttle=LoginThrottle(
            settings.login_failures_per_user, settings.login_failures_per_address, settings.redis_url
        ),
        max_concurrent_hashes=settings.max_concurrent_password_hashes,
        audit=audit.record,
    )


def build_live_runtime(
    settings: Settings, store: MetadataStore, blobs: BlobStore, media_keys: MediaKeyDirectory | None = None
) -> LiveCallRuntime:
    return LiveCallRuntime(
        store,
        make_control_bus(settings.resolved_database_url, settings.redis_url),
        spool_dir=settings.data_dir / "live",
        media_owner_timeout=settings.media_owner_timeout,
        keep_recording=functools.partial(keep_recording, settings, store, blobs, media_keys=media_keys),
        media_clock_limits=MediaClockLimits(max_session_seconds=settings.max_live_session_seconds),
    )


class MediaStoreMismatch(RuntimeError):
    pass


def open_media_store(settings: Settings, store: MetadataStore) -> BlobStore:
    """The media store this database uses: the one a `media migrate` switched to wins over the default."""
    with store.read() as conn:
        switched = system_settings_repo.get(conn, system_settings_repo.MEDIA_URL)
        previous = system_settings_repo.get(conn, system_settings_repo.PREVIOUS_MEDIA_URL)
    if switched and settings.media_url and settings.media_url != switched:
        raise MediaStoreMismatch(
            f"This database's media was migrated to {switched}, but CALLVAULT_MEDIA_URL is "
            f"{settings.media_url}: set it to {switched} or leave it unset."
        )
    primary = open_blob_store(switched or settings.resolved_media_url)
    if previous:
        return FallbackBlobStore(primary, open_blob_store(previous))
    return primary


def ensure_dev_user(services: Services) -> str | None:
    """On an empty database create a development user; returns a how-to line to print, or None."""
    credentials_file: Path = services.settings.data_dir / "dev-user.txt"
    with services.store.read() as conn:
        has_users = users_repo.count_users(conn) > 0
    if not has_users:
        password = secrets.token_urlsafe(12)
        add_user(services.store, DEV_USER, password, [DEV_ACCOUNT])
        credentials_file.write_text(f"{DEV_USER}:{password}\n")
        credentials_file.chmod(0o600)
    if not credentials_file.exists():
        return None
    user, _, password = credentials_file.read_text().strip().partition(":")
    return (
        f"Development user {user!r} (password {password!r}) has account {DEV_ACCOUNT}. Try:\n"
        f"  curl -u {user}:{password} http://{services.settings.host}:{services.settings.port}"
        f"/api/v2/accounts/{DEV_ACCOUNT}/recordings"
    )
