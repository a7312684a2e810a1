"""Private keys from settings, or made once for the local stack.

A key setting is a path to a PEM file, or the PEM itself in base64 (for secret stores
that hold values). When a setting is unset — the local stack — the key is generated into
``<local_dir>/keys/<file>`` on first start; processes starting together agree on one
file (the first hard link wins), so every service verifies with the same key. Keys are
Ed25519 unless the caller generates another kind (notify's VAPID key is P-256).
"""

import base64
import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["load_ed25519_private_key", "local_private_pem", "pem_from_setting"]


def pem_from_setting(value: str, setting: str) -> bytes:
    """The PEM a setting names: a readable file, or base64 of the PEM."""
    path = Path(value)
    with contextlib.suppress(OSError, ValueError):
        if path.is_file():
            return path.read_bytes()
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError(f"{setting} is neither a readable file nor base64 PEM") from None


def _ed25519_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def local_private_pem(
    local_dir: str, file_name: str, generate: Callable[[], bytes] = _ed25519_pem
) -> bytes:
    """The local stack's key ``file_name``, made by ``generate`` (a PEM) on first use."""
    keys = Path(local_dir) / "keys"
    target = keys / file_name
    if not target.exists():
        keys.mkdir(parents=True, exist_ok=True)
        pem = generate()
        fd, temporary = tempfile.mkstemp(dir=keys, prefix=".key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            with contextlib.suppress(FileExistsError):  # another process won the race
                os.link(temporary, target)
        finally:
            os.unlink(temporary)
    return target.read_bytes()


def load_ed25519_private_key(pem: bytes, setting: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{setting} must be an Ed25519 private key")
    return key
