"""Ed25519 signatures over checkpoints, so a log can be checked away from the platform.

A checkpoint says "record ``seq`` has hash ``hash``", signed with the audit key. Whoever
holds the public key can then verify an exported log offline: the hash chain proves the
records link up, and a signed checkpoint at the end proves nobody rewrote the chain and
recomputed every hash, or cut records off its end.

The private key comes from ``MPP_AUDIT_SIGNING_KEY`` (a PEM file path, or the PEM in
base64, for secret stores that hold values). When unset — the local stack — a key is
generated into ``<local_dir>/keys/`` on first start and its public key logged; a
deployment must set the setting, so the key survives the container.
"""

import base64
import binascii
import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.keys import load_ed25519_private_key, local_private_pem, pem_from_setting
from shared.settings import Settings

__all__ = [
    "Signer",
    "checkpoint_message",
    "key_id",
    "load_signer",
    "parse_public_key",
    "position_message",
    "public_key_text",
    "verify_signature",
]

log = structlog.get_logger(__name__)

LOCAL_KEY_FILE = "audit-checkpoint-ed25519.pem"


def checkpoint_message(seq: int, record_hash: str, signed_at: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return f"mpp-audit-checkpoint/1\n{seq}\n{record_hash}\n{signed_at}".encode("ascii")


def position_message(seq: int, record_hash: str, verified_at: str) -> bytes:
    """The exact bytes a verified position's signature covers: "records up to ``seq``
    were verified, and record ``seq`` has hash ``record_hash``" (see
    :mod:`services.audit.incremental`). Its own prefix: a checkpoint's signature is never
    a position's, nor the other way round."""
    return f"mpp-audit-verified/1\n{seq}\n{record_hash}\n{verified_at}".encode("ascii")


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64: what the platform publishes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint, so a checkpoint names the key that signed it."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as base64 of the raw 32 bytes, or as a PEM (text or file path)."""
    text = text.strip()
    path = Path(text)
    with contextlib.suppress(OSError, ValueError):
        if len(text) < 4096 and path.is_file():
            text = path.read_text().strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("the public key is neither base64 nor PEM") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
        return True
    except (InvalidSignature, binascii.Error, ValueError):
        return False


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


def load_signer(settings: Settings) -> Signer:
    secret = settings.audit_signing_key
    if secret:
        pem = pem_from_setting(secret.get_secret_value(), "MPP_AUDIT_SIGNING_KEY")
    else:
        path = Path(settings.local_dir) / "keys" / LOCAL_KEY_FILE
        existed = path.exists()
        pem = local_private_pem(settings.local_dir, LOCAL_KEY_FILE)
        if not existed:
            log.warning("audit signing key generated for local use", path=str(path))
    return Signer(load_ed25519_private_key(pem, "MPP_AUDIT_SIGNING_KEY"))
