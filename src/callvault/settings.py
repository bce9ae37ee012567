"""Runtime settings: every field is also a CALLVAULT_* environment variable. No import-time state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from callvault.domain.limits import (
    MAX_LIVE_SESSION_SECONDS,
    MAX_REQUEST_BODY_BYTES,
    MAX_STREAMS_PER_SOURCE,
    WEBHOOK_TIMEOUT_SECONDS,
)

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def parse_duration_seconds(value: str | float | int) -> float:
    """'90', '90s', '15m', '24h', '1.5d', '250ms' -> seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*", value.lower())
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 24h)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]


def parse_size_bytes(value: str | int) -> int:
    """'1048576', '500MB', '2G' -> bytes."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?b?)\s*", value.lower())
    if not match:
        raise ValueError(f"not a size: {value!r} (use e.g. 500MB, 2GB)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLVAULT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("./callvault-data")
    database_url: str | None = None
    websocket_implementation: Literal["wsproto", "websockets-sansio"] = "wsproto"
    """uvicorn's WebSocket protocol. benchmarks/bench_websocket.py compares the two at 200 live streams;
    on a 2-core machine, where the load generator shares the cores, neither was reliably ahead."""
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    """The server's event loop (uvicorn's `loop`); `auto`: uvloop when the process runs the SIP
    listener (`serve --sip`), asyncio's own loop otherwise (see `resolved_event_loop`)."""
    database_pool_size: int = Field(default=40, ge=1, le=1000)
    """Connections one process keeps open to the database, and as many again while busy: 40 matches
    the request threads; lower it when many processes share one PostgreSQL (its max_connections)."""
    media_url: str | None = None
    encrypt_media: bool = True
    """Encrypt recordings at rest (per-recording data keys under the master key)."""
    master_key_file: Path | None = None
    """The master key file (default: master.key in the data dir; created on first start)."""
    master_key: SecretStr | None = None
    """Master keys given directly (base64, comma-separated, current first): no key file then."""
    public_url: str | None = Field(default=None, description="Base URL used in mediaUrl when set")
    purge_grace: float = 24 * 3600.0
    sweep_age: float = 6 * 3600.0
    retention_interval: float = 3600.0
    """How often the retention job applies the accounts' retention policies."""
    rate_limit: str | None = None
    redis_url: str | None = None
    max_upload: int = 2 * 1024**3
    max_request_body: int = MAX_REQUEST_BODY_BYTES
    auth_cache_seconds: float = 60.0
    login_failures_per_user: str = "10/minute"
    login_failures_per_address: str = "30/minute"
    max_concurrent_password_hashes: int = 2
    worker_threads: int = 2
    run_workers: bool = True
    job_lease_seconds: float = 60.0
    job_poll_seconds: float = 0.2
    webhook_timeout: float = WEBHOOK_TIMEOUT_SECONDS
    callback_allow: str = Field(
        default="", description="CIDRs and host names webhooks may reach although private (comma-separated)"
    )
    media_owner_timeout: float = 15.0
    """A live call's media owner that has not beaten its heart for this long is gone: its recording
    is finished by another process, and a call recorded from outside is ended (``call_liveness``)."""
    max_streams_per_source: int = Field(default=MAX_STREAMS_PER_SOURCE, ge=1)
    """Media streams one stream token, or one account's Basic-auth streams, may hold on one process."""
    max_live_session_seconds: float = Field(default=MAX_LIVE_SESSION_SECONDS, gt=0)
    """Longest live session (e.g. 4h), for every source: a media stream or SIPREC session open longer
    is ended (its recording `partial`), and no live recording writes media past it."""
    whisper_model: Path | None = None
    transcription_timeout: float = 4 * 3600.0
    transcription_threads: int = Field(default=0, ge=0)
    """CTranslate2 threads per transcription worker (0: the usable cores shared out among the workers)."""
    transcription_workers: int = Field(default=0, ge=0)
    """Transcriptions run at once, one channel each (0: one per usable core, at most 4)."""
    transcription_batch_size: int = Field(default=4, ge=0, le=64)
    """Speech pieces decoded at once by the batched pipeline (0: the sequential decoder)."""
    transcription_beam_size: int = Field(default=1, ge=1, le=10)
    """Whisper beam size: 1 is greedy decoding (docs/transcription.md: larger costs more, gains little)."""
    sip_listen: str | None = None
    """HOST:PORT of the SIPREC recording server inside `callvault serve` (unset: none)."""
    sip_transports: str = "udp,tcp"
    sip_tls_port: int | None = None
    """Also SIP over TLS on this port of the SIP listen host (needs sip_tls_cert and sip_tls_key)."""
    sip_tls_cert: Path | None = None
    sip_tls_key: Path | None = None
    sip_media_address: str | None = None
    """The address SDP answers tell SIPREC clients to send RTP to (default: the SIP listen host)."""
    sip_rtp_ports: str = "20000-29999"
    sip_realm: str = "callvault"
    sip_media_timeout: float = 30.0
    sip_jitter_buffer: float = 0.06
    sip_max_hold: float = 3600.0
    """A SIPREC session held (paused by its client) longer than this is ended, with a BYE."""
    sip_session_threads: int = Field(default=2, ge=1, le=64)
    """Threads that open, pause, resume and end SIPREC sessions' calls (more: for PostgreSQL and S3)."""
    siprec_failover_window: float = 300.0
    """A SIPREC session re-established (same session id) within this long after its process died
    continues the same call and recording; later, it is a new call."""
    sip_max_connections: int = Field(default=1024, ge=1)
    """Open SIP TCP/TLS connections at most (more are closed at accept)."""
    sip_max_connections_per_address: int = Field(default=64, ge=1)
    sip_message_timeout: float = 10.0
    """A SIP message begun on a TCP/TLS connection (or a TLS handshake) must be complete within this."""
    sip_idle_timeout: float = 120.0
    """A SIP TCP/TLS connection that carries no session is closed after this long without a byte."""
    create_dev_user: bool = False
    migrate_on_start: bool = True
    log_level: str = "info"
    access_log: bool = False
    """uvicorn's request log on stderr (not the governance access log: that is `audit_log`)."""
    audit_log: bool = True
    """The tamper-evident access log of recordings (off only to measure what it costs)."""
    audit_key_file: Path | None = None
    """The Ed25519 key that signs the access log's head (default: <data dir>/audit-signing.key)."""
    audit_anchor_seconds: float = 300.0
    metrics_token: str | None = Field(default=None, description="Bearer token /metrics requires")
    metrics_user: str | None = Field(
        default=None, description="User whose Basic credentials /metrics requires"
    )

    @field_validator(
        "purge_grace",
        "sweep_age",
        "retention_interval",
        "job_lease_seconds",
        "transcription_timeout",
        "media_owner_timeout",
        "max_live_session_seconds",
        "sip_media_timeout",
        "sip_jitter_buffer",
        "sip_max_hold",
        "siprec_failover_window",
        "sip_message_timeout",
        "sip_idle_timeout",
        "audit_anchor_seconds",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: str | float) -> float:
        return parse_duration_seconds(value)

    @field_validator("max_upload", "max_request_body", mode="before")
    @classmethod
    def _size(cls, value: str | int) -> int:
        return parse_size_bytes(value)

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _rate_limit(cls, value: str | None) -> str | None:
        if value is None or str(value).strip().lower() in {"", "off", "none", "0"}:
            return None
        return str(value).strip()

    @field_validator("sip_transports")
    @classmethod
    def _transports(cls, value: str) -> str:
        names = {name.strip().lower() for name in value.split(",") if name.strip()}
        if not names or not names <= {"udp", "tcp"}:
            raise ValueError(f"SIP transports must be udp and/or tcp, got {value!r}")
        return ",".join(sorted(names))

    @property
    def resolved_event_loop(self) -> Literal["asyncio", "uvloop"]:
        """Measured, each on its own work (2 cores, loads of this machine): at 256 HTTP connections
        uvloop left some requests waiting a second or more in most runs (p99 0.5-1.05 s, up to 76 over
        wrk's 2 s timeout; the bare FastAPI anchor alike) where asyncio's loop kept p99 at 40-57 ms, at
        the same CPU per request; but 400 SIPREC sessions set up in 3 s on uvloop and 6 s on asyncio,
        at 3.3-3.6 ms of CPU per session-second against 3.5-4.1."""
        if self.event_loop != "auto":
            return self.event_loop
        return "uvloop" if self.sip_listen else "asyncio"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'callvault.sqlite3').resolve()}"

    @property
    def resolved_media_url(self) -> str:
        if self.media_url:
            return self.media_url
        return str((self.data_dir / "media").resolve())

    @property
    def resolved_master_key_file(self) -> Path:
        return (self.master_key_file or self.data_dir / "master.key").expanduser().resolve()

    @property
    def resolved_audit_key_file(self) -> Path:
        return self.audit_key_file or self.data_dir / "audit-signing.key"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"
