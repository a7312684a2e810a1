"""The region's bank's door into routing, in Bank Indonesia's SNAP: an access token, then
the QRIS payment notification.

``POST /api/snap/v1.0/access-token/b2b`` gives the bank a token when its request is signed
with its registered RSA key (SHA256withRSA over ``X-CLIENT-KEY|X-TIMESTAMP``).
``POST /api/snap/v1.0/qr/qr-mpm-notify`` takes the payment of a levy's dynamic QRIS: bearer
token, ``X-PARTNER-ID`` (the bank's client key), ``X-EXTERNAL-ID``, ``CHANNEL-ID``, and
``X-SIGNATURE`` (HMAC-SHA512 of the call, :mod:`.snap`). The answer is read off the
stored bill (:mod:`.settling`), so a retried notification gets the first answer. Every
answer carries SNAP's ``responseCode`` and ``responseMessage``; a refusal is also a
problem document. Service codes: 73 for the token, 52 for the notification.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import orjson
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Depends, Header, Request

from services.routing.deps import unit_of_work
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.settling import PaymentReport, settle
from services.routing.payments.snap import (
    response_code,
    verify_service_signature,
    verify_token_signature,
)
from services.routing.payments.snap_sessions import SnapSessions
from shared.events import utcnow
from shared.problems import Problem

__all__ = ["SnapCall", "answer_signed_call", "refusal", "snap_call", "snap_router", "success"]

snap_router = APIRouter(prefix="/api/snap", tags=["payments"])

TOKEN, NOTIFY = 73, 52

_REFUSED: dict[str, tuple[int, int, str]] = {
    "unknown": (404, 12, "Invalid Bill/Virtual Account [Not Found]"),
    "expired": (404, 12, "Invalid Bill/Virtual Account [Expired]"),
    "amount": (404, 13, "Invalid Amount"),
    "paid_otherwise": (404, 14, "Paid Bill"),
}


def _refuse(status: int, service: int, case: int, message: str, detail: str) -> Problem:
    code = response_code(status, service, case)
    return Problem(
        status,
        f"{message} ({code})",
        detail,
        responseCode=code,
        responseMessage=message,
    )


def _sessions(request: Request) -> SnapSessions:
    sessions = request.app.state.parts.snap_sessions
    if sessions is None:
        raise Problem(
            503,
            "Pembayaran tidak aktif / Billing is off",
            "Nyalakan MPP_PAYMENTS_BILLING / Turn MPP_PAYMENTS_BILLING on",
        )
    return sessions


@snap_router.post("/v1.0/access-token/b2b", summary="The bank asks for a SNAP access token")
async def snap_access_token(
    request: Request,
    sessions: Annotated[SnapSessions, Depends(_sessions)],
    x_timestamp: Annotated[str | None, Header()] = None,
    x_client_key: Annotated[str | None, Header()] = None,
    x_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    settings = request.app.state.runtime.settings
    key = load_pem_public_key(settings.snap_bank_public_key.encode())
    signed = (
        x_client_key == settings.snap_client_key
        and x_timestamp is not None
        and _recent(x_timestamp)
        and verify_token_signature(key, x_signature, x_client_key, x_timestamp)  # type: ignore[arg-type]
    )
    if not signed:
        raise _refuse(
            401,
            TOKEN,
            0,
            "Unauthorized. [Signature]",
            "Tanda tangan X-SIGNATURE tidak sah / X-SIGNATURE does not verify with the "
            "registered key",
        )
    token = await sessions.issue(settings.snap_client_key, utcnow())
    return {
        "responseCode": response_code(200, TOKEN, 0),
        "responseMessage": "Successful",
        "accessToken": token,
        "tokenType": "Bearer",
        "expiresIn": str(settings.snap_token_seconds),
    }


@dataclass(frozen=True)
class SnapCall:
    """A call the bank makes after its token: its headers, as SNAP names them."""

    authorization: str | None
    timestamp: str | None
    signature: str | None
    partner_id: str | None
    external_id: str | None
    channel_id: str | None


def snap_call(
    authorization: Annotated[str | None, Header()] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
    x_signature: Annotated[str | None, Header()] = None,
    x_partner_id: Annotated[str | None, Header()] = None,
    x_external_id: Annotated[str | None, Header()] = None,
    channel_id: Annotated[str | None, Header()] = None,
) -> SnapCall:
    return SnapCall(
        authorization, x_timestamp, x_signature, x_partner_id, x_external_id, channel_id
    )


Answerer = Callable[[bytes], Awaitable[dict[str, Any]]]


async def answer_signed_call(
    request: Request, call: SnapCall, service: int, answer_first: Answerer
) -> dict[str, Any]:
    """The one path every signed call from the bank takes: the bearer token,
    ``X-PARTNER-ID``, ``X-EXTERNAL-ID``, ``CHANNEL-ID``, a recent ``X-TIMESTAMP`` and the
    HMAC-SHA512 ``X-SIGNATURE`` over this call's own path are checked; a retry of an
    ``X-EXTERNAL-ID`` of today with the same body gets the answer remembered for it, with
    another body a conflict; a first call is answered by ``answer_first``. The answer's
    ``snap`` part is returned, or raised as a problem when it is a refusal."""
    settings = request.app.state.runtime.settings
    sessions = _sessions(request)
    body, now = await request.body(), utcnow()
    token = (call.authorization or "").removeprefix("Bearer ").strip()
    secret = settings.snap_client_secret.get_secret_value()
    trusted = (
        call.partner_id == settings.snap_client_key
        and bool(call.external_id and call.channel_id and call.timestamp)
        and _recent(call.timestamp or "")
        and await sessions.valid(token, settings.snap_client_key, now)
        and verify_service_signature(
            call.signature, secret, "POST", request.url.path, token, body, call.timestamp or ""
        )
    )
    if not trusted:
        raise _refuse(
            401,
            service,
            0,
            "Unauthorized. [Signature]",
            "Token atau X-SIGNATURE tidak sah / The token or X-SIGNATURE is not valid",
        )
    partner, external_id = str(call.partner_id), str(call.external_id)
    before = await sessions.answered(partner, external_id, body, now)
    if before is not None and before.get("conflict"):
        raise _refuse(
            409,
            service,
            0,
            "Conflict",
            "X-EXTERNAL-ID ini sudah dipakai hari ini untuk isi lain / "
            "This X-EXTERNAL-ID was used today for another body",
        )
    answer = before or await answer_first(body)
    await sessions.remember(partner, external_id, body, answer, now)
    if answer["responseCode"] != response_code(200, service, 0):
        raise Problem(answer["status"], answer["title"], answer["detail"], **answer["snap"])
    return answer["snap"]


def refusal(status: int, service: int, case: int, message: str, detail: str) -> dict[str, Any]:
    """A refusal as it is remembered for the call's retries (see :func:`answer_signed_call`)."""
    code = response_code(status, service, case)
    return {
        "responseCode": code,
        "status": status,
        "title": f"{message} ({code})",
        "detail": detail,
        "snap": {"responseCode": code, "responseMessage": message},
    }


def success(service: int, **fields: Any) -> dict[str, Any]:
    code = response_code(200, service, 0)
    snap = {"responseCode": code, "responseMessage": "Successful", **fields}
    return {"responseCode": code, "snap": snap}


@snap_router.post("/v1.0/qr/qr-mpm-notify", summary="The bank reports a QRIS payment")
async def snap_qris_notify(
    request: Request,
    uow: Annotated[RoutingUnitOfWork, Depends(unit_of_work)],
    call: Annotated[SnapCall, Depends(snap_call)],
) -> dict[str, Any]:
    return await answer_signed_call(request, call, NOTIFY, lambda body: _settle(uow, body))


async def _settle(uow: RoutingUnitOfWork, body: bytes) -> dict[str, Any]:
    """The answer to a first notification, as it is remembered for its retries."""
    try:
        sent = orjson.loads(body)
        amount = Decimal(sent["amount"]["value"])
        report = PaymentReport(
            channel="snap-qris",
            billing_code=str(sent["originalPartnerReferenceNo"]),
            bill_id=None,
            amount_idr=int(amount),
            receipt=str(sent["originalReferenceNo"]),
            ntb=None,
            paid_at=_paid_at(sent),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, InvalidOperation, ValueError):
        return refusal(
            400,
            NOTIFY,
            2,
            "Invalid Mandatory Field",
            "Isi tidak lengkap / A mandatory field is missing",
        )
    settled = await settle(uow, report)
    if settled.outcome in _REFUSED:
        status, case, message = _REFUSED[settled.outcome]
        return refusal(
            status,
            NOTIFY,
            case,
            message,
            "Pembayaran ditolak dan dicatat / The payment is refused and recorded",
        )
    return success(NOTIFY)


def _paid_at(sent: dict[str, Any]) -> datetime:
    info = sent.get("additionalInfo") or {}
    when = info.get("paidTime")
    return datetime.fromisoformat(when).astimezone(UTC) if when else utcnow()


def _recent(timestamp: str) -> bool:
    try:
        sent = datetime.fromisoformat(timestamp)
    except ValueError:
        return False
    return sent.tzinfo is not None and abs((utcnow() - sent).total_seconds()) <= 300
