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

``POST /v1/va/pay`` takes ``{"virtual_account": <17 digits>}`` as a citizen's mobile
banking would: the inquiry (``/api/snap/v1.0/transfer-va/inquiry``), then the payment
(``/api/snap/v1.0/transfer-va/payment``) of the amount the inquiry answered (or
``amount``), with ``repeat`` and ``signature`` as above; ``inquire: false`` skips the
inquiry. ``delay_seconds`` waits before the notification or the payment is sent (a late
report: pay a bill that expires meanwhile).

The bank's own door, for routing's refunds: ``POST /v1.0/access-token/b2b`` gives routing
a token when signed with the platform's key (SHA256withRSA), and ``POST
/v1.0/qr/qr-mpm-refund`` (HMAC-SHA512, service code 78) refunds a payment it took, once
per ``partnerRefundNo``, never more than was paid. ``POST /v1/faults`` makes the next
``fail_next`` refund calls answer ``status`` after ``delay_seconds`` (a 5xx or a delay
beyond the caller's timeout: an answer routing cannot read; a 4xx: a refusal);
``GET /v1/stats`` counts notifications sent and refund calls; ``GET /v1/refunds`` lists
the refunds made.

State lives in memory: each payment gets a new bank reference.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import httpx
import orjson
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field

from services.routing.payments.qris import parse
from services.routing.payments.snap import (
    response_code,
    service_signature,
    token_signature,
    verify_service_signature,
    verify_token_signature,
)
from shared.problems import Problem, install_problem_handlers

__all__ = ["LOCAL_BANK_KEY", "LOCAL_PLATFORM_PUBLIC_KEY", "BankBook", "create_app"]

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

LOCAL_PLATFORM_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs6dqcXIEJKq+raQ4EYlQ\n"
    "MlJFwUavsWBGhOsHncnRLTTUHXRzYu4jcgod55G/tX7ZPau2jZg/dIy3ep/idwB1\n"
    "xHuGaQskocgX9oMAKAxekrbMaCcldyenL/iANV/5hwBcAsJ+aZ+7Ltc8xUTV/AFI\n"
    "DBMfRxTkS1LIfxwHCeyFcdYs01TjcIkcFCZk2pldFez/EEebVZRrlHIKS3hhocA2\n"
    "+40FwnF9N95/BQZvlqKLUEGYxtbE+lJ00VB5j4Vhimkn6ujwPMiNafGxWp0hfikc\n"
    "zBIIucgiokChCTViPjoeD3n8zMWFeZK4+da0LIKEVGV6TXl3GFacUPB6reTEvof0\n"
    "qQIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
)
"""The public half of ``MPP_SNAP_PLATFORM_PRIVATE_KEY``'s local default: the key routing
signs its token requests to this bank with. Never a real platform's."""


class QrisPayment(BaseModel):
    qris: str = Field(min_length=20, max_length=512)
    repeat: int = Field(1, ge=1, le=20, description="How many times the notification is sent.")
    signature: Literal["good", "bad"] = "good"
    amount: int | None = Field(None, gt=0, description="Report another amount.")
    delay_seconds: float = Field(0.0, ge=0, le=60, description="Wait first: a late report.")


class VaPayment(BaseModel):
    virtual_account: str = Field(pattern=r"^[0-9]{10,28}$")
    repeat: int = Field(1, ge=1, le=20, description="How many times the payment is sent.")
    signature: Literal["good", "bad"] = "good"
    amount: int | None = Field(None, gt=0, description="Pay another amount than inquired.")
    inquire: bool = Field(True, description="Ask what the account owes first.")
    delay_seconds: float = Field(
        0.0, ge=0, le=60, description="Wait between the inquiry and the payment."
    )


class FaultPlan(BaseModel):
    fail_next: int = Field(ge=0, le=10_000)
    status: int = Field(503, ge=400, le=599)
    delay_seconds: float = Field(0.0, ge=0, le=60)


@dataclass
class BankBook:
    """What the bank remembers: payments it reported, refunds made, tokens, faults."""

    paid: dict[str, int] = field(default_factory=dict)
    """Amount paid by the bank's reference (QRIS) or payment request id (VA)."""
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(fail_next=0))
    stats: dict[str, int] = field(
        default_factory=lambda: {"notifications_sent": 0, "refund_calls": 0, "refunds_made": 0}
    )

    def take_fault(self) -> FaultPlan | None:
        if self.faults.fail_next == 0:
            return None
        self.faults = self.faults.model_copy(update={"fail_next": self.faults.fail_next - 1})
        return self.faults

    def refunded(self, reference: str) -> int:
        made = self.refunds.values()
        return sum(r["amount"] for r in made if r["originalReferenceNo"] == reference)


@dataclass(frozen=True)
class _Client:
    """The bank as routing's SNAP client."""

    platform_url: str
    client_key: str
    client_secret: str
    key: Any
    book: BankBook


def create_app(
    platform_url: str,
    client_key: str,
    client_secret: str,
    private_key_pem: str = LOCAL_BANK_KEY,
    platform_public_key_pem: str = LOCAL_PLATFORM_PUBLIC_KEY,
    book: BankBook | None = None,
) -> FastAPI:
    """The bank; it reports to routing at ``platform_url`` as ``client_key``."""
    client = _Client(
        platform_url,
        client_key,
        client_secret,
        load_pem_private_key(private_key_pem.encode(), password=None),
        book or BankBook(),
    )
    app = FastAPI(title="Region's bank, SNAP (local simulator)")
    install_problem_handlers(app)
    _wallet_routes(app, client)
    _refund_routes(app, client, load_pem_public_key(platform_public_key_pem.encode()))
    _fault_routes(app, client.book)
    return app


def _wallet_routes(app: FastAPI, bank: _Client) -> None:
    """What the citizen's wallet or mobile banking does."""

    @app.post("/v1/qris/pay")
    async def pay(payment: QrisPayment) -> dict[str, Any]:
        try:
            objects = parse(payment.qris)
            number = parse_template(objects["62"])["01"]
            amount = payment.amount or int(objects["54"])
        except (ValueError, KeyError):
            raise Problem(400, "Invalid QRIS", "The payload does not read (simulator).") from None
        reference = f"{secrets.randbelow(10**12):012d}"
        bank.book.paid[reference] = amount
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
        path = "/api/snap/v1.0/qr/qr-mpm-notify"
        await asyncio.sleep(payment.delay_seconds)
        answers = await _send(bank, path, body, payment.repeat, payment.signature)
        return {"reference": reference, "answers": answers}

    @app.post("/v1/va/pay")
    async def pay_va(payment: VaPayment) -> dict[str, Any]:
        number = payment.virtual_account
        account = {
            "partnerServiceId": number[:5].rjust(8),
            "customerNo": number[5:],
            "virtualAccountNo": number[:5].rjust(8) + number[5:],
        }
        inquiry: dict[str, Any] | None = None
        amount = payment.amount
        if payment.inquire:
            asked = {**account, "inquiryRequestId": _id(), "channelCode": 6011}
            path = "/api/snap/v1.0/transfer-va/inquiry"
            (inquiry,) = await _send(bank, path, orjson.dumps(asked), 1, "good")
            owed = inquiry["body"].get("virtualAccountData", {}).get("totalAmount", {})
            amount = amount or int(float(owed.get("value", "0")))
        request_id = _id()
        bank.book.paid[request_id] = amount or 0
        body = orjson.dumps(
            {
                **account,
                "paymentRequestId": request_id,
                "referenceNo": _id()[:12],
                "channelCode": 6011,
                "paidAmount": {"value": f"{amount or 0}.00", "currency": "IDR"},
                "trxDateTime": _now(),
                "flagAdvise": "N",
            }
        )
        path = "/api/snap/v1.0/transfer-va/payment"
        await asyncio.sleep(payment.delay_seconds)
        answers = await _send(bank, path, body, payment.repeat, payment.signature)
        return {"payment_request_id": request_id, "inquiry": inquiry, "answers": answers}


def _refund_routes(app: FastAPI, bank: _Client, platform_key: Any) -> None:
    """The bank's own SNAP door, which routing calls to refund."""
    book = bank.book

    @app.post("/v1.0/access-token/b2b")
    async def token(request: Request) -> dict[str, Any]:
        headers = request.headers
        key, timestamp = headers.get("x-client-key"), headers.get("x-timestamp") or ""
        signature = headers.get("x-signature")
        if key != bank.client_key or not verify_token_signature(
            platform_key, signature, key, timestamp
        ):
            raise _snap_problem(401, 73, 0, "Unauthorized. [Signature]")
        issued = secrets.token_urlsafe(24)
        book.tokens.add(issued)
        return {
            "responseCode": response_code(200, 73, 0),
            "responseMessage": "Successful",
            "accessToken": issued,
            "tokenType": "Bearer",
            "expiresIn": "900",
        }

    @app.post("/v1.0/qr/qr-mpm-refund")
    async def refund(request: Request) -> dict[str, Any]:
        body, headers = await request.body(), request.headers
        token = (headers.get("authorization") or "").removeprefix("Bearer ").strip()
        signed = token in book.tokens and verify_service_signature(
            headers.get("x-signature"),
            bank.client_secret,
            "POST",
            request.url.path,
            token,
            body,
            headers.get("x-timestamp") or "",
        )
        if not signed or headers.get("x-partner-id") != bank.client_key:
            raise _snap_problem(401, 78, 0, "Unauthorized. [Signature]")
        book.stats["refund_calls"] += 1
        fault = book.take_fault()
        if fault is not None:
            await asyncio.sleep(fault.delay_seconds)
            raise _snap_problem(fault.status, 78, 0, "Simulated fault")
        return _refund(book, orjson.loads(body))


def _refund(book: BankBook, asked: dict[str, Any]) -> dict[str, Any]:
    """One refund, made once per ``partnerRefundNo``, never more than was paid."""
    number, reference = str(asked["partnerRefundNo"]), str(asked["originalReferenceNo"])
    amount = int(float(asked["refundAmount"]["value"]))
    made = book.refunds.get(number)
    if made is None:
        if reference not in book.paid:
            raise _snap_problem(404, 78, 1, "Transaction Not Found")
        if book.refunded(reference) + amount > book.paid[reference]:
            raise _snap_problem(403, 78, 14, "Insufficient Funds")
        made = {
            "refundNo": hashlib.sha256(number.encode()).hexdigest()[:16].upper(),
            "partnerRefundNo": number,
            "originalReferenceNo": reference,
            "amount": amount,
            "refundTime": _now(),
        }
        book.refunds[number] = made
        book.stats["refunds_made"] += 1
    return {
        "responseCode": response_code(200, 78, 0),
        "responseMessage": "Successful",
        "originalReferenceNo": made["originalReferenceNo"],
        "partnerRefundNo": number,
        "refundNo": made["refundNo"],
        "refundAmount": {"value": f"{made['amount']}.00", "currency": "IDR"},
        "refundTime": made["refundTime"],
    }


def _fault_routes(app: FastAPI, book: BankBook) -> None:
    @app.post("/v1/faults", status_code=204)
    async def set_faults(plan: FaultPlan) -> Response:
        book.faults = plan
        return Response(status_code=204)

    @app.get("/v1/stats")
    async def read_stats() -> dict[str, int]:
        return dict(book.stats)

    @app.get("/v1/refunds")
    async def read_refunds() -> list[dict[str, Any]]:
        return list(book.refunds.values())

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}


def _snap_problem(status: int, service: int, case: int, message: str) -> Problem:
    code = response_code(status, service, case)
    return Problem(
        status, f"{message} ({code})", "(simulator)", responseCode=code, responseMessage=message
    )


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


def _id() -> str:
    return f"{secrets.randbelow(10**18):018d}"


async def _send(
    bank: _Client, path: str, body: bytes, repeat: int, signature: str
) -> list[dict[str, Any]]:
    """One call to routing, sent ``repeat`` times under one ``X-EXTERNAL-ID``."""
    async with httpx.AsyncClient(base_url=bank.platform_url, timeout=10) as client:
        token = await _token(client, bank.key, bank.client_key)
        external_id = _id()
        secret = bank.client_secret if signature == "good" else bank.client_secret + "-wrong"
        answers = []
        for _ in range(repeat):
            bank.book.stats["notifications_sent"] += 1
            answers.append(
                await _call(client, path, token, secret, bank.client_key, external_id, body)
            )
    return answers


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


async def _call(
    client: httpx.AsyncClient,
    path: str,
    token: str,
    secret: str,
    client_key: str,
    external_id: str,
    body: bytes,
) -> dict[str, Any]:
    timestamp = _now()
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
