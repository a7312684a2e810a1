"""Verifying a Standard Webhooks signature, with the standard library only.

The platform signs ``webhook-id.webhook-timestamp.body`` with HMAC-SHA256, keyed with
the base64 bytes of the agency's ``whsec_`` secret, and sends ``v1,<base64>`` in
``webhook-signature`` (several, space-separated, while a secret is being rotated).
A receiver must check the signature in constant time and refuse timestamps more than
five minutes away from its clock, so a captured request cannot be replayed later.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = ["TOLERANCE_SECONDS", "InvalidSignature", "verify"]

TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    """The request is not from the platform, or is too old or too new to accept."""


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Return the ``webhook-id`` of a genuine, fresh request; raise InvalidSignature."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise InvalidSignature("timestamp outside the replay window")
    signed = f"{message_id}.{sent_at}.".encode() + body
    expected = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return message_id
    raise InvalidSignature("no valid v1 signature")
