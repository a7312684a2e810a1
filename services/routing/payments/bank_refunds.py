"""Routing's calls to the region's bank in SNAP: a refund of a paid levy.

Routing is then the client: it asks the bank for a B2B access token
(``POST {MPP_SNAP_BANK_URL}/v1.0/access-token/b2b``, SHA256withRSA over
``X-CLIENT-KEY|X-TIMESTAMP`` with ``MPP_SNAP_PLATFORM_PRIVATE_KEY``), then sends the refund
(``POST /v1.0/qr/qr-mpm-refund``, HMAC-SHA512 under ``MPP_SNAP_CLIENT_SECRET``, service
code 78) naming the payment (``originalReferenceNo``, the bank's reference of it) and the
refund (``partnerRefundNo``, the refund's id: asked twice, the bank refunds once).

Three answers: the bank refunded (:class:`Refunded`), it refused (:class:`BankRefused`,
a 4xx: nothing was refunded), or it cannot be told (:class:`BankUnsure`: a timeout, a 5xx,
no connection — the refund may or may not have been made, so it is never taken as
refused; the same refund is asked again later under the same ``partnerRefundNo``).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from services.routing.payments.snap import service_signature, token_signature
from shared.errors import Rejected
from shared.settings import Settings

__all__ = ["REFUND_PATH", "BankRefused", "BankUnsure", "RefundBank", "Refunded"]

REFUND_PATH = "/v1.0/qr/qr-mpm-refund"
_WIB = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Refunded:
    bank_reference: str


class BankRefused(Rejected):
    """The bank answered that it did not refund (its responseMessage says why)."""


class BankUnsure(Exception):
    """The bank's answer is unknown: the refund may have been made."""


class RefundBank:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.snap_bank_url.rstrip("/")
        self.client_key = settings.snap_client_key
        self.secret = settings.snap_client_secret.get_secret_value()
        key = settings.snap_platform_private_key.get_secret_value().encode()
        self.key: Any = load_pem_private_key(key, password=None)
        self.timeout = settings.snap_timeout_seconds

    async def refund(self, refund: dict[str, Any], paid_reference: str) -> Refunded:
        body = orjson.dumps(
            {
                "originalReferenceNo": paid_reference,
                "partnerRefundNo": refund["_id"],
                "refundAmount": {"value": f"{refund['amount_idr']}.00", "currency": "IDR"},
                "reason": refund["reason"][:256],
            }
        )
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout) as client:
                token = await self._token(client)
                answer = await client.post(
                    REFUND_PATH, content=body, headers=self._headers(token, body)
                )
        except httpx.HTTPError as error:
            raise BankUnsure(f"no answer from the bank: {type(error).__name__}") from None
        return _read(answer)

    async def _token(self, client: httpx.AsyncClient) -> str:
        timestamp = _now()
        answer = await client.post(
            "/v1.0/access-token/b2b",
            json={"grantType": "client_credentials"},
            headers={
                "X-TIMESTAMP": timestamp,
                "X-CLIENT-KEY": self.client_key,
                "X-SIGNATURE": token_signature(self.key, self.client_key, timestamp),
            },
        )
        if answer.status_code != 200:
            raise BankUnsure(f"the bank gave no access token ({answer.status_code})")
        return str(answer.json()["accessToken"])

    def _headers(self, token: str, body: bytes) -> dict[str, str]:
        timestamp = _now()
        signature = service_signature(self.secret, "POST", REFUND_PATH, token, body, timestamp)
        return {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": signature,
            "X-PARTNER-ID": self.client_key,
            "X-EXTERNAL-ID": f"{secrets.randbelow(10**18):018d}",
            "CHANNEL-ID": "95221",
        }


def _read(answer: httpx.Response) -> Refunded:
    if answer.status_code >= 500:
        raise BankUnsure(f"the bank answered {answer.status_code}")
    try:
        content = answer.json()
    except ValueError:
        raise BankUnsure(f"the bank's answer does not read ({answer.status_code})") from None
    if answer.status_code == 200 and str(content.get("responseCode", "")).startswith("200"):
        return Refunded(str(content.get("refundNo") or content.get("referenceNo") or ""))
    message = str(content.get("responseMessage") or answer.status_code)
    raise BankRefused(f"{content.get('responseCode', answer.status_code)} {message}"[:200])


def _now() -> str:
    return datetime.now(_WIB).isoformat(timespec="seconds")
