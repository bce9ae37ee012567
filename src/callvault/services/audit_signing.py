"""The key that signs the access log's anchors: Ed25519 (`cryptography`), in a file beside the data.

The private key lives in `CALLVAULT_AUDIT_KEY_FILE` (default `<data dir>/audit-signing.key`, mode 0600),
made by the first process that needs it, never in the database: whoever can rewrite the database
cannot sign a rewritten chain. Servers on several machines that share one database share this file
(copy it, like the master key). `callvault audit verify` trusts this key and any public keys it is given.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from callvault.domain.audit import Anchor, anchor_message
from callvault.domain.errors import ValidationFailed


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes, source: str) -> Ed25519PublicKey:
    """A PEM Ed25519 public key; ValidationFailed naming `source` for anything else."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ValidationFailed(f"{source} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationFailed(f"{source} is not an Ed25519 public key")
    return key


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, made first (0600, atomically: the first of several processes wins) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise ValidationFailed(f"{path} is not a PEM private key (the access log's signing key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailed(f"{path} is not an Ed25519 private key (the access log's signing key)")
    return key


@dataclass
class AnchorSigner:
    """Signs chain heads with the private key from `path` (loaded when first needed)."""

    path: Path
    _key: Ed25519PrivateKey | None = None

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_or_create_private_key(self.path)
        return self._key

    def sign(self, seq: int, digest: str, signed_at: datetime) -> Anchor:
        signature = self.private_key.sign(anchor_message(seq, digest))
        return Anchor(
            seq=seq,
            entry_hash=digest,
            signed_at=signed_at,
            key_id=key_id(self.private_key.public_key()),
            signature=base64.b64encode(signature).decode(),
        )


class AnchorChecker:
    """Checks anchors against trusted public keys: `signature_ok(anchor)` is None or why not."""

    def __init__(self, trusted: list[Ed25519PublicKey]) -> None:
        self._keys = {key_id(key): key for key in trusted}

    def __call__(self, anchor: Anchor) -> str | None:
        key = self._keys.get(anchor.key_id)
        if key is None:
            return f"signed by key {anchor.key_id}, which is not trusted (give its public key: --trust-key)"
        try:
            key.verify(base64.b64decode(anchor.signature), anchor_message(anchor.seq, anchor.entry_hash))
        except (InvalidSignature, ValueError):
            return "the signature does not match (the anchor was altered)"
        return None
