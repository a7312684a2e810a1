"""Secrets sealed for one reader, on a topic that others also read.

A one-time code travels from intake to notify on the accounts topic, which audit reads
and keeps forever; an auditor must not be able to take a live password-reset code from
the log. So the code is sealed (AES-256-GCM, a fresh nonce each time) under a key only
intake and notify hold (``MPP_CODE_DELIVERY_SECRET``), bound to the event's purpose and
subject as associated data, so a sealed value cannot be moved to another event.
"""

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

__all__ = ["SealError", "seal", "unseal"]

_NONCE = 12


class SealError(ValueError):
    """The value was not sealed with this key for this context (or was altered)."""


def _key(secret: SecretStr) -> bytes:
    return hashlib.sha256(b"mpp-seal-v1|" + secret.get_secret_value().encode()).digest()


def seal(secret: SecretStr, plaintext: str, context: str) -> str:
    """``base64(nonce || ciphertext+tag)``; ``context`` must match when unsealing."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(secret)).encrypt(nonce, plaintext.encode(), context.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret: SecretStr, value: str, context: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
        opened = AESGCM(_key(secret)).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed value does not open with this key and context") from exc
    return opened.decode()
