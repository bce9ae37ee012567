"""Managing where outside calls come from: SIPREC sources, media-stream tokens, and the recording
settings an account applies to them (the CLI's `callvault sip-sources|stream-tokens|accounts`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from callvault.calls.siprec.digest import ha1
from callvault.domain.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from callvault.domain.ids import require_id
from callvault.domain.sources import (
    AccountRecordingSettings,
    SipSource,
    StreamToken,
    hash_stream_token,
    new_stream_token,
    overlapping_sources,
    parse_networks,
    shared_networks,
)
from callvault.domain.timefmt import utcnow
from callvault.store import sources_repo
from callvault.store.database import MetadataStore

__all__ = [
    "add_sip_source",
    "create_stream_token",
    "get_recording_settings",
    "list_sip_sources",
    "list_stream_tokens",
    "remove_sip_source",
    "revoke_stream_token",
    "stream_token_of",
    "update_recording_settings",
]


def add_sip_source(
    store: MetadataStore,
    name: str,
    account_id: str,
    *,
    networks: list[str],
    username: str | None,
    password: str | None,
    realm: str,
) -> tuple[SipSource, list[str]]:
    """A SIPREC client allowed from `networks` (empty: anywhere) and/or with digest credentials,
    and a warning for each source it overlaps (which of the two a request records into, by the
    precedence in ``domain/sources``). Two sources without credentials sharing a network are
    refused (Conflict): a request from there would belong to both."""
    require_id(account_id, "account")
    if not networks and username is None:
        raise ValidationFailed("a SIP source needs networks (--network) or credentials (--username)")
    if (username is None) != (password is None):
        raise ValidationFailed("give both --username and --password, or neither")
    if password is not None and len(password) < 8:
        raise ValidationFailed("Invalid password: use at least 8 characters")
    try:
        parsed = parse_networks(networks)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    source = SipSource(
        name=name,
        account_id=account_id,
        networks=parsed,
        username=username,
        ha1=ha1(username, realm, password) if username is not None and password is not None else None,
    )
    with store.write() as conn:
        existing = sources_repo.list_sip_sources(conn)
        shared = shared_networks(source, existing)
        if shared:
            other, network = shared[0]
            raise Conflict(
                f"SIP source {other.name!r} (account {other.account_id}) already covers {network} without "
                "credentials: give this source another network or --username/--password"
            )
        try:
            sources_repo.add_sip_source(conn, source, utcnow())
        except sources_repo.DuplicateSource:
            raise Conflict(f"a SIP source named {name!r} or with username {username!r} exists") from None
    return source, [_overlap_warning(source, other) for other in overlapping_sources(source, existing)]


def _overlap_warning(new: SipSource, other: SipSource) -> str:
    both = f"{new.name!r} overlaps {other.name!r} (account {other.account_id})"
    if new.username is not None and other.username is not None:
        return f"{both}: each records what carries its own credentials"
    if new.username is not None or other.username is not None:
        credentialed = new if new.username is not None else other
        return (
            f"{both}: from the shared addresses, a request with {credentialed.name!r}'s credentials "
            f"records into account {credentialed.account_id}, one without into the other's"
        )
    return (
        f"{both}: a request from the shared addresses records into the source with the more specific network"
    )


def remove_sip_source(store: MetadataStore, name: str) -> None:
    with store.write() as conn:
        if not sources_repo.remove_sip_source(conn, name):
            raise NotFound(f"no SIP source named {name!r}")


def list_sip_sources(store: MetadataStore) -> list[SipSource]:
    with store.read() as conn:
        return sources_repo.list_sip_sources(conn)


def create_stream_token(store: MetadataStore, name: str, account_id: str) -> tuple[StreamToken, str]:
    """A new token for `account_id`; the secret is returned once and only its hash is kept."""
    require_id(account_id, "account")
    secret = new_stream_token()
    now = utcnow()
    with store.write() as conn:
        token_id = sources_repo.add_stream_token(conn, name, account_id, hash_stream_token(secret), now)
    return StreamToken(token_id, name, account_id, now), secret


def revoke_stream_token(store: MetadataStore, token_id: int) -> None:
    with store.write() as conn:
        if not sources_repo.revoke_stream_token(conn, token_id, utcnow()):
            raise NotFound(f"no active stream token with id {token_id}")


def list_stream_tokens(store: MetadataStore, account_id: str | None = None) -> list[StreamToken]:
    with store.read() as conn:
        return sources_repo.list_stream_tokens(conn, account_id)


def stream_token_of(store: MetadataStore, secret: str) -> StreamToken:
    """The media-stream token `secret` is (its account, its id); 401 for an unknown or revoked one."""
    with store.read() as conn:
        token = sources_repo.find_stream_token(conn, hash_stream_token(secret))
    if token is None or token.revoked_at is not None:
        raise AuthenticationFailed("unknown or revoked stream token")
    return token


def get_recording_settings(store: MetadataStore, account_id: str) -> AccountRecordingSettings:
    with store.read() as conn:
        return sources_repo.get_recording_settings(conn, account_id)


def update_recording_settings(
    store: MetadataStore, account_id: str, **changes: Any
) -> AccountRecordingSettings:
    """Change some of the account's recording settings (None leaves a setting as it is)."""
    require_id(account_id, "account")
    given = {key: value for key, value in changes.items() if value is not None}
    with store.write() as conn:
        current = sources_repo.get_recording_settings(conn, account_id)
        try:
            updated = dataclasses.replace(current, **given)
        except TypeError as exc:
            raise ValidationFailed(str(exc)) from None
        if updated.file_format not in ("wav", "mp3"):
            raise ValidationFailed("file format must be wav or mp3")
        for url in (updated.recording_available_url, updated.transcription_available_url):
            if url and not url.lower().startswith(("http://", "https://")):
                raise ValidationFailed(f"callback URL {url!r} must be an absolute http or https URL")
        sources_repo.put_recording_settings(conn, account_id, updated, utcnow())
    return updated
