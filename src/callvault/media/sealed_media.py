"""Customer-held keys: data keys wrapped to an account's RSA public key, and the sealed-media file.

A sealed recording's data key is wrapped with RSA-OAEP (SHA-256) to the account's public key, so only
the holder of the private key can unwrap it. The API serves such a recording as a *sealed-media file*
(``application/vnd.callvault.sealed-media``), which ``callvault decrypt`` opens offline:

    b"CVSEALED" | 4-byte big-endian length N | N bytes of UTF-8 JSON | the encrypted blob as stored

The JSON holds ``format`` (``"callvault-sealed-media-1"``), ``algorithm``, ``keyId`` (the public
key's fingerprint), ``wrappedKey`` (base64), ``recordingId``, ``mediaType`` and ``fileName``; the blob
is the chunked AES-256-GCM format of :mod:`callvault.media.chunked_cipher`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from callvault.media import chunked_cipher as cipher

MAGIC = b"CVSEALED"
FORMAT = "callvault-sealed-media-1"
ALGORITHM = "RSA-OAEP-SHA256 + AES-256-GCM chunks"
MEDIA_TYPE = "application/vnd.callvault.sealed-media"
MIN_RSA_BITS = 2048
MAX_PEM_CHARS = 16_384
_LENGTH = struct.Struct(">I")
_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class KeyMaterialError(ValueError):
    """A public or private key that cannot be used; the text says why."""


class SealedFileError(ValueError):
    """The file is not a sealed-media file, or it was damaged."""


@dataclass(frozen=True)
class CustomerPublicKey:
    key_id: str
    pem: str
    key: rsa.RSAPublicKey


def parse_public_key(pem: str) -> CustomerPublicKey:
    """An account's public key from PEM: RSA of at least 2048 bits; else :class:`KeyMaterialError`."""
    if not isinstance(pem, str) or not pem.strip() or len(pem) > MAX_PEM_CHARS:
        raise KeyMaterialError("publicKey must be a PEM-encoded RSA public key")
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError):
        raise KeyMaterialError("publicKey is not a PEM-encoded public key (BEGIN PUBLIC KEY)") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyMaterialError("publicKey must be an RSA public key")
    if key.key_size < MIN_RSA_BITS:
        raise KeyMaterialError(f"publicKey is {key.key_size} bits; at least {MIN_RSA_BITS} are needed")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    canonical = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return CustomerPublicKey(hashlib.sha256(der).hexdigest()[:32], canonical.decode(), key)


def load_private_key(pem: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"the private key cannot be read: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyMaterialError("the private key must be an RSA private key")
    return key


def public_key_id(private_key: rsa.RSAPrivateKey) -> str:
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:32]


def wrap_data_key(public_key: CustomerPublicKey, data_key: bytes) -> bytes:
    return public_key.key.encrypt(data_key, _OAEP)


def unwrap_data_key(private_key: rsa.RSAPrivateKey, wrapped: bytes) -> bytes:
    try:
        return private_key.decrypt(wrapped, _OAEP)
    except ValueError:
        raise KeyMaterialError("the private key does not unwrap this recording's data key") from None


def envelope_prefix(
    *, key_id: str, wrapped_key: bytes, recording_id: str, media_type: str, file_name: str
) -> bytes:
    """What a sealed-media file holds before the encrypted blob."""
    meta = {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "keyId": key_id,
        "wrappedKey": base64.b64encode(wrapped_key).decode(),
        "recordingId": recording_id,
        "mediaType": media_type,
        "fileName": file_name,
    }
    body = json.dumps(meta, separators=(",", ":")).encode()
    return MAGIC + _LENGTH.pack(len(body)) + body


def read_envelope(source: BinaryIO) -> dict[str, Any]:
    """The sealed-media file's JSON; ``source`` is left at the encrypted blob's first byte."""
    head = source.read(len(MAGIC) + _LENGTH.size)
    if len(head) < len(MAGIC) + _LENGTH.size or not head.startswith(MAGIC):
        raise SealedFileError("not a callvault sealed-media file (it does not start with CVSEALED)")
    (length,) = _LENGTH.unpack(head[len(MAGIC) :])
    if length > 65_536:
        raise SealedFileError("the sealed-media file's header is too long: the file is damaged")
    try:
        meta = json.loads(source.read(length))
        if meta.get("format") != FORMAT:
            raise SealedFileError(f"unknown sealed-media format {meta.get('format')!r}")
        meta["wrappedKey"] = base64.b64decode(meta["wrappedKey"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        if isinstance(exc, SealedFileError):
            raise
        raise SealedFileError("the sealed-media file's header is damaged") from None
    return dict(meta)


def decrypt_sealed(
    source: BinaryIO, private_key: rsa.RSAPrivateKey, file_size: int, piece: int = 1 << 20
) -> Iterator[bytes]:
    """The plaintext of a sealed-media file of ``file_size`` bytes, streamed.

    A wrong private key is a :class:`KeyMaterialError` before anything is yielded; a damaged blob a
    :class:`~callvault.media.chunked_cipher.BlobIntegrityError`.
    """
    meta = read_envelope(source)
    ours = public_key_id(private_key)
    if meta["keyId"] != ours:
        raise KeyMaterialError(
            f"this recording was sealed to public key {meta['keyId']}; the private key given is for {ours}"
        )
    data_key = unwrap_data_key(private_key, meta["wrappedKey"])
    header = cipher.parse_header(source.read(cipher.HEADER_SIZE))
    blob_size = file_size - (source.tell() - cipher.HEADER_SIZE)
    plain_size = cipher.plaintext_size(blob_size, header.chunk_size)
    if plain_size == 0:
        return
    span = cipher.chunk_span(0, plain_size - 1, plain_size, header.chunk_size)
    yield from cipher.decrypt_span(data_key, header, span, iter(lambda: source.read(piece), b""))
