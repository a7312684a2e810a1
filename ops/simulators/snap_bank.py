"""A local stand-in for the region's bank in Bank Indonesia's SNAP: it takes a levy's
dynamic QRIS as a citizen's wallet would and reports the payment to routing, signed as a
real bank's SNAP client signs.

``POST /v1/qris/pay`` takes ``{"qris": <payload>}`` (what the citizen scanned): the
simulator checks the payload's CRC, reads the amount (tag 54) and the bill number (tag
62), asks routing for a B2B access token (``/api/snap/v1.0/access-token/b2b``, SHA256withRSA
over ``X-CLIENT-KEY|X-TIMESTAMP`` with its key) and sends the QRIS payment notification
(``/api/snap/v1.0/qr/qr-mpm-notify``, HMAC-SHA512 with the shared client secret). What can
go wrong around a bank exists only here: ``repeat`` sends the same notification (same
``X-EXTERNAL-ID``) that many times, as a bank retrying; ``signature: "bad"`` signs it with
another secret; ``amount`` reports another amount than the payload's. It answers with
routing's answers.

State lives in memory: each payment gets a new bank reference.
"""

import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import httpx
import orjson
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fastapi import FastAPI
from pydantic import BaseModel, Field

from services.routing.payments.qris import parse
from services.routing.payments.snap import service_signature, token_signature
from shared.problems import Problem, install_problem_handlers

__all__ = ["LOCAL_BANK_KEY", "create_app"]

_WIB = timezone(timedelta(hours=7))

LOCAL_BANK_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDeRvZZXxU7PH/m\n"
    "CsK8SdFBa788lH52OKanKVWavaqYLF0ycuPM4QSd9eRMn3C3y2GHERpSBLOoRI8A\n"
    "DftoGvPbo9UOw2TkumiM0CIBHui5+jUJ/KNWKuOkHrMWzw4CZWpb3ZPBYX/4qroz\n"
    "HFJdccvJrun3RKRYhtcdqCnqcHHbFyQUYce/RmMRlBxNC72i2joVBiyvo3qNcBAq\n"
    "TEdfRcswRWeHlFSECT13bldSL+GRi+VM2fWl8TBV/2wNyzkbq5Hcgh7l27whStH2\n"
    "+bYmIrMgUJh/CAX6wq3rHRV6aiqIxqA6AzIUDYU/jZHuzMleeIOZvlJ4/GxxgkXL\n"
    "m00dNrXhAgMBAAECggEADLVAKZ8l6Ll2Yv2vwUHTpsK9H96qBcKKpaE3eZW5KoLT\n"
    "z7nxk/Gz+L95jldpw3pLYMRdrb2C036a8eD6xAqRcVfiKxpI+wo8xrsyDIAaxGI9\n"
    "lMz2visM0YHnUYkkNwcbD/ZAt7RGM554L4qhm2HRib34Nqi8ICsSYqnN/q8v1TuX\n"
    "ziNmDJYqlVrA9lwVdHq1R0fEXXKKqBPnjywUeIeGuhHpHSCzN/bEK5u6+hRu1wVv\n"
    "xZvxQ9Rxds3o41ZGVsrK/CtbjhbI0RLVVmXb0Wj3s+HIuFVEvdOHcuRXjSbFTBf/\n"
    "22XAQhoMNyfTZnSIgwMm0IdXhG+zEcNf3BaU1S5xYQKBgQDz4c0oBcb3VH54yWTw\n"
    "GmKU3oPqdBTORTPkGMsXjgKuk1dU65eApcxZGeUltG69MyP2kSaaMr5NJ5gVILm+\n"
    "pnmmMqVPRqwBimZFEIuGJlA2r22qVsguVi5KxxUcwwPhtufuMgq85UH+OEJuFQvi\n"
    "f/ArJTUuR7q7CwRgWhP2fJrsUQKBgQDpUlh8gTohDQr1ZqDCpfJG8+hDtDtR0nVD\n"
    "pLCVxj7Dpit92WFrQxN0Ado4Q99UWiap2fHdZmQWAXJi5DWRGj0df+fQGF6Lpvs0\n"
    "q4Wmg4w1I3N6n19TbiQyvSZsEG3HJp9E1Nk7VNAz+c4p8BUyxg/EJYI+/7uZVf7X\n"
    "Eou5nD4ckQKBgQDx6s1n4vsvwifGRvgSWAnr5CH0wnsU9X54x8NFtT+hzlQ1z5C0\n"
    "M0LWK6KrWST0FrOY1Pj2wlkVDa6FXrYBkP9gxiJG1jKvQIsb/UJ5qq2s4S2mZ3kg\n"
    "xaob0Ql3Q1cpYhcEp60RHVTuCP6UVdo5LnGdSsZLByoKee44aYId4hKHUQKBgDdR\n"
    "UK1kLhX786cvB9peYcy0s1Kp/o5tqWO6PiukbukQEqupyFEX/Bq6/bPtU5u6LASF\n"
    "KbTmO8CD40zS8mhOokLGOn256WCO3GwmZm+OLMXEe/KMqpsrN+XXtq5UTtKys3ws\n"
    "QrywZRSNm3WR+FSrZL2KbxDkrOOz4dG4EeyVwJwhAoGBAJJmO7h5nUzoOERKmvOS\n"
    "/CHXj7YqhJ2mPH3PRje/zsvy7QYuZyIRlVp58c/EBoyNPXfHDbA4F1R5RhiqwNBD\n"
    "0N+2SrNWIQdn95O5mkGODQYti8OO5/C/FP9nFLlAFeZQM+oGYf6Bt3nov+h4Cy3J\n"
    "XHDSnlVhR/VKkr3+UP/mRs6T\n"
    "-----END PRIVATE KEY-----\n"
)
"""The simulator's RSA key: the local stack only (``MPP_SNAP_BANK_PUBLIC_KEY``'s default is
its public half). Never a real bank's."""


class QrisPayment(BaseModel):
    qris: str = Field(min_length=20, max_length=512)
    repeat: int = Field(1, ge=1, le=20, description="How many times the notification is sent.")
    signature: Literal["good", "bad"] = "good"
    amount: int | None = Field(None, gt=0, description="Report another amount.")


def create_app(
    platform_url: str, client_key: str, client_secret: str, private_key_pem: str = LOCAL_BANK_KEY
) -> FastAPI:
    """The bank; it reports to routing at ``platform_url`` as ``client_key``."""
    key = load_pem_private_key(private_key_pem.encode(), password=None)
    app = FastAPI(title="Region's bank, SNAP (local simulator)")
    install_problem_handlers(app)

    @app.post("/v1/qris/pay")
    async def pay(payment: QrisPayment) -> dict[str, Any]:
        try:
            objects = parse(payment.qris)
            number = parse_template(objects["62"])["01"]
            amount = payment.amount or int(objects["54"])
        except (ValueError, KeyError):
            raise Problem(400, "Invalid QRIS", "The payload does not read (simulator).") from None
        reference = f"{secrets.randbelow(10**12):012d}"
        body = orjson.dumps(
            {
                "originalReferenceNo": reference,
                "originalPartnerReferenceNo": number,
                "latestTransactionStatus": "00",
                "transactionStatusDesc": "Success",
                "amount": {"value": f"{amount}.00", "currency": "IDR"},
                "additionalInfo": {"paidTime": datetime.now(UTC).isoformat()},
            }
        )
        async with httpx.AsyncClient(base_url=platform_url, timeout=10) as client:
            token = await _token(client, key, client_key)
            external_id = f"{secrets.randbelow(10**18):018d}"
            secret = client_secret if payment.signature == "good" else client_secret + "-wrong"
            answers = [
                await _notify(client, token, secret, client_key, external_id, body)
                for _ in range(payment.repeat)
            ]
        return {"reference": reference, "answers": answers}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def parse_template(value: str) -> dict[str, str]:
    """The data objects inside a template (tag 62's, here)."""
    objects, at = {}, 0
    while at + 4 <= len(value):
        size = int(value[at + 2 : at + 4])
        objects[value[at : at + 2]] = value[at + 4 : at + 4 + size]
        at += 4 + size
    return objects


def _now() -> str:
    return datetime.now(_WIB).isoformat(timespec="seconds")


async def _token(client: httpx.AsyncClient, key: Any, client_key: str) -> str:
    timestamp = _now()
    answer = await client.post(
        "/api/snap/v1.0/access-token/b2b",
        json={"grantType": "client_credentials"},
        headers={
            "X-TIMESTAMP": timestamp,
            "X-CLIENT-KEY": client_key,
            "X-SIGNATURE": token_signature(key, client_key, timestamp),
        },
    )
    if answer.status_code != 200:
        raise Problem(502, "No access token", f"routing answered {answer.status_code}")
    return answer.json()["accessToken"]


async def _notify(
    client: httpx.AsyncClient,
    token: str,
    secret: str,
    client_key: str,
    external_id: str,
    body: bytes,
) -> dict[str, Any]:
    path, timestamp = "/api/snap/v1.0/qr/qr-mpm-notify", _now()
    answer = await client.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": service_signature(secret, "POST", path, token, body, timestamp),
            "X-PARTNER-ID": client_key,
            "X-EXTERNAL-ID": external_id,
            "CHANNEL-ID": "95221",
        },
    )
    return {"status": answer.status_code, "body": answer.json()}
