"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each delivery carries three headers: ``webhook-id`` (the same on every retry, so the
receiver can dedupe), ``webhook-timestamp`` (Unix seconds of this attempt) and
``webhook-signature``: ``v1,`` and the base64 HMAC-SHA256, keyed with the agency's
secret, of ``id.timestamp.body``. Secrets are written ``whsec_<base64 bytes>``.
"""

import base64
import hashlib
import hmac
import secrets

__all__ = ["generate_secret", "secret_bytes", "sign", "signature_headers"]

_SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def generate_secret() -> str:
    return _SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; raises ValueError for anything else."""
    if not secret.startswith(_SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_ followed by base64")
    return base64.b64decode(secret[len(_SECRET_PREFIX) :], validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }
