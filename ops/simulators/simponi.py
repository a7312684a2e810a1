"""A local stand-in for SIMPONI (PNBP billing) and the bank that takes the payment, with
the wire format :mod:`services.routing.payments.simponi` speaks.

``POST /v1/billing`` (signed) takes ``{"reference", "amount", "account", "valid_hours",
"description"}`` and answers 201 with a 15-digit ``billing_code`` and its ``expires_at``;
the same reference again answers the same code, as SIMPONI does for a repeated request.
``GET /v1/billing/{code}`` is the inquiry: amount, state, expiry, receipt.

What a citizen does at a bank, and what can go wrong around it, exist only here:

* ``POST /v1/billing/{code}/pay`` pays the code as a teller would: the simulator makes an
  NTPN and an NTB and reports the payment to the platform (``callback_url``), signed;
  ``repeat`` sends the same report again that many times (a bank's retries),
  ``delay_seconds`` waits first (a late report), ``late: true`` pays even an expired
  code (a bank that settled before the expiry but reports after it), ``signature:
  "bad"`` signs with the wrong secret. It answers with the platform's answers;
* ``POST /v1/faults`` makes the next ``fail_next`` billing requests answer ``status``
  after ``delay_seconds`` (beyond the caller's timeout: a timeout);
* ``GET /v1/stats`` counts billing requests and reports sent.

State lives in memory: a restart forgets every billing code.
"""

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import orjson
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field

from services.routing.payments.simponi import signed_headers, verify
from shared.problems import Problem, install_problem_handlers

__all__ = ["Billing", "Ledger", "create_app"]


class BillingRequest(BaseModel):
    reference: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0)
    account: str = Field(pattern=r"^[0-9]{6}$")
    valid_hours: int = Field(ge=1, le=24 * 30)
    description: str = Field("", max_length=200)


class PayRequest(BaseModel):
    repeat: int = Field(1, ge=1, le=20, description="How many times the report is sent.")
    delay_seconds: float = Field(0.0, ge=0, le=60)
    late: bool = Field(False, description="Pay even an expired code.")
    amount: int | None = Field(None, gt=0, description="Report another amount than billed.")
    signature: Literal["good", "bad"] = "good"


class FaultPlan(BaseModel):
    fail_next: int = Field(ge=0, le=10_000)
    status: int = Field(503, ge=400, le=599)
    delay_seconds: float = Field(0.0, ge=0, le=60)


@dataclass
class Billing:
    code: str
    reference: str
    amount: int
    account: str
    expires_at: datetime
    ntpn: str | None = None
    ntb: str | None = None
    paid_at: datetime | None = None

    def view(self, now: datetime) -> dict[str, Any]:
        state = "paid" if self.ntpn else ("expired" if now >= self.expires_at else "unpaid")
        return {
            "billing_code": self.code,
            "reference": self.reference,
            "amount": self.amount,
            "account": self.account,
            "expires_at": self.expires_at.isoformat(),
            "state": state,
            "ntpn": self.ntpn,
            "ntb": self.ntb,
        }


@dataclass
class Ledger:
    """Every billing code made, by code and by reference."""

    by_code: dict[str, Billing] = field(default_factory=dict)
    by_reference: dict[str, Billing] = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=lambda: FaultPlan(fail_next=0))
    stats: dict[str, int] = field(default_factory=lambda: {"billing_calls": 0, "reports_sent": 0})

    def bill(self, asked: BillingRequest, now: datetime) -> Billing:
        known = self.by_reference.get(asked.reference)
        if known is not None:
            return known
        # 15 digits: a leading 8 (a K/L billing), the date, then a serial.
        code = f"8{now:%y%m%d}{len(self.by_code) + 1:08d}"
        made = Billing(
            code=code,
            reference=asked.reference,
            amount=asked.amount,
            account=asked.account,
            expires_at=now + timedelta(hours=asked.valid_hours),
        )
        self.by_code[code] = self.by_reference[asked.reference] = made
        return made

    def take_fault(self) -> FaultPlan | None:
        if self.faults.fail_next == 0:
            return None
        self.faults = self.faults.model_copy(update={"fail_next": self.faults.fail_next - 1})
        return self.faults


def _receipt(billing: Billing, now: datetime) -> None:
    if billing.ntpn is None:
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        billing.ntpn = "".join(secrets.choice(alphabet) for _ in range(16))
        billing.ntb = f"{secrets.randbelow(10**12):012d}"
        billing.paid_at = now


def create_app(secret: str, callback_url: str, ledger: Ledger | None = None) -> FastAPI:
    """The simulator; reports go to ``callback_url`` signed with ``secret``."""
    book = ledger or Ledger()
    app = FastAPI(title="SIMPONI and bank (local simulator)")
    install_problem_handlers(app)

    @app.post("/v1/billing", status_code=201)
    async def create_billing(request: Request) -> dict[str, Any]:
        body = await request.body()
        headers = request.headers
        now = datetime.now(UTC)
        if not verify(secret, headers.get("x-timestamp"), headers.get("x-signature"), body, now):
            raise Problem(401, "Invalid signature", "X-Signature does not match (simulator).")
        book.stats["billing_calls"] += 1
        fault = book.take_fault()
        if fault is not None:
            await asyncio.sleep(fault.delay_seconds)
            raise Problem(fault.status, "Simulated fault", "Injected by POST /v1/faults.")
        made = book.bill(BillingRequest.model_validate(orjson.loads(body)), now)
        return made.view(now)

    @app.get("/v1/billing/{code}")
    async def inquiry(code: str) -> dict[str, Any]:
        found = book.by_code.get(code)
        if found is None:
            raise Problem(404, "Unknown billing code", f"{code} was never issued (simulator).")
        return found.view(datetime.now(UTC))

    @app.post("/v1/billing/{code}/pay")
    async def pay(code: str, plan: PayRequest) -> dict[str, Any]:
        found = book.by_code.get(code)
        now = datetime.now(UTC)
        if found is None:
            found = Billing(
                code=code,
                reference="",
                amount=plan.amount or 1,
                account="000000",
                expires_at=now + timedelta(hours=1),
            )  # a code SIMPONI never made
        elif now >= found.expires_at and found.ntpn is None and not plan.late:
            raise Problem(410, "Billing code expired", "Pass late: true to pay it anyway.")
        _receipt(found, now)
        await asyncio.sleep(plan.delay_seconds)
        answers = [
            await _report(found, plan, secret, callback_url, book) for _ in range(plan.repeat)
        ]
        return {"ntpn": found.ntpn, "ntb": found.ntb, "answers": answers}

    @app.post("/v1/faults", status_code=204)
    async def set_faults(plan: FaultPlan) -> Response:
        book.faults = plan
        return Response(status_code=204)

    @app.get("/v1/stats")
    async def read_stats() -> dict[str, int]:
        return dict(book.stats)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


async def _report(
    billing: Billing, plan: PayRequest, secret: str, callback_url: str, book: Ledger
) -> dict[str, Any]:
    """One payment report to the platform; its status and body."""
    body = orjson.dumps(
        {
            "billing_code": billing.code,
            "reference": billing.reference or None,
            "amount": plan.amount or billing.amount,
            "ntpn": billing.ntpn,
            "ntb": billing.ntb,
            "paid_at": (billing.paid_at or datetime.now(UTC)).isoformat(),
        }
    )
    key = secret if plan.signature == "good" else secret + "-wrong"
    book.stats["reports_sent"] += 1
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(callback_url, content=body, headers=signed_headers(key, body))
    try:
        content = answer.json()
    except ValueError:
        content = answer.text
    return {"status": answer.status_code, "body": content}
