"""SIMPONI, the finance ministry's PNBP billing: a billing code for a bill, and the proof
of its payment.

The platform asks SIMPONI for a billing code (kode billing, 15 digits) for the bill's
amount and PNBP account, valid until an expiry; the citizen pays it at any bank channel
(teller, ATM, mobile banking); SIMPONI then reports the payment with its NTPN (the
state's receipt number) and the bank's NTB. Both directions are JSON over HTTPS signed
with a secret the two sides share (``MPP_SIMPONI_SECRET``): ``X-Signature`` is the
lowercase hex HMAC-SHA256 of ``<X-Timestamp>.<body>``, and a request whose timestamp is
more than five minutes away from the receiver's clock is refused, so a captured request
cannot be replayed later. The local simulator (:mod:`ops.simulators.simponi`) speaks the
same wire format.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from shared.settings import Settings

__all__ = [
    "BillerRefused",
    "BillerUnavailable",
    "Issued",
    "SimponiClient",
    "sign",
    "signed_headers",
    "verify",
]

SKEW = timedelta(minutes=5)


class BillerUnavailable(Exception):
    """SIMPONI did not answer in time or answered 5xx: try again later."""


class BillerRefused(Exception):
    """SIMPONI refused the request (4xx): trying again will not help."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Signature`` of ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime | None = None) -> dict[str, str]:
    timestamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return {
        "Content-Type": "application/json",
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret, timestamp, body),
    }


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> bool:
    """Whether ``signature`` is ``body``'s at ``timestamp``, and the timestamp is near now."""
    if not timestamp or not signature:
        return False
    try:
        sent = datetime.fromisoformat(timestamp)
    except ValueError:
        return False
    if sent.tzinfo is None or abs(now - sent) > SKEW:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class Issued:
    """A billing code SIMPONI gave a bill, and until when it can be paid."""

    billing_code: str
    expires_at: datetime


class SimponiClient:
    """Asks SIMPONI for billing codes (one HTTP request each, bounded by
    ``MPP_SIMPONI_TIMEOUT_SECONDS``; the bill sweep does the retrying)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.simponi_url.rstrip("/")
        self.secret = settings.simponi_secret.get_secret_value()
        self.timeout = settings.simponi_timeout_seconds

    async def billing_code(self, bill: dict[str, Any]) -> Issued:
        """A billing code for ``bill``. The bill id is the reference: asked twice (an
        answer lost on the way), SIMPONI gives the same code again."""
        body = orjson.dumps(
            {
                "reference": bill["_id"],
                "amount": bill["amount_idr"],
                "account": bill["account"],
                "valid_hours": bill["valid_hours"],
                "description": f"{bill['service']} {bill['tracking_number']}",
            }
        )
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.post(
                    f"{self.url}/v1/billing",
                    content=body,
                    headers=signed_headers(self.secret, body),
                )
        except httpx.HTTPError as error:
            raise BillerUnavailable(type(error).__name__) from None
        if answer.status_code >= 500:
            raise BillerUnavailable(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise BillerRefused(f"HTTP {answer.status_code}: {answer.text[:200]}")
        issued = answer.json()
        return Issued(
            billing_code=issued["billing_code"],
            expires_at=datetime.fromisoformat(issued["expires_at"]).astimezone(UTC),
        )
