"""Bills: what an application owes, one state machine, and the one collection they live in.

A bill is made in the transaction of the workflow step that needs it (routing a
submission whose fee is due before the agency starts), in state ``created``. The biller
then gives it a payment code — SIMPONI's 15-digit billing code for PNBP — and it is
``pending`` until it expires. A payment moves it to ``paid`` with its receipt (NTPN and
the bank's NTB); no payment by the expiry moves it to ``expired``; a biller that keeps
refusing to issue it moves it to ``failed``::

    created ──issued──▶ pending ──paid──▶ paid
       │  └──────────paid (before we stored the code)──────▶ paid
       └──failed          └──expired

Each move is an update guarded by the state it starts from, so two writers (two
callbacks, a callback and the expiry sweep) cannot both move one bill: the second finds
nothing to update and its transaction is aborted. A paid levy keeps what may still be
refunded of it (``refundable_idr``, :mod:`.refunds`); a refund does not move its state.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.catalogue import Charge
from shared.errors import Rejected
from shared.events import BillChanged, BillChannel, BillData
from shared.ids import uuid7

__all__ = [
    "BILL_MOVES",
    "BillMoved",
    "BillRepository",
    "BillState",
    "bill_changed",
    "channels_of",
    "new_bill",
]

BillState = Literal["created", "pending", "paid", "expired", "failed"]

BILL_MOVES: dict[str, frozenset[str]] = {
    "created": frozenset({"pending", "paid", "failed"}),
    "pending": frozenset({"paid", "expired"}),
    "paid": frozenset(),
    "expired": frozenset(),
    "failed": frozenset(),
}
"""Which state may follow which; the final three have nothing after them."""

Session = AsyncClientSession | None


class BillMoved(Rejected):
    """The bill is no longer in the state a move starts from (another writer moved it)."""


def new_bill(application: Mapping[str, Any], charge: Charge, now: datetime) -> dict[str, Any]:
    """The bill an application owes under ``charge``, as first stored (``created``)."""
    return {
        "_id": uuid7(),
        "application_id": application["_id"],
        "tracking_number": application["tracking_number"],
        "service": application["service"],
        "region": application["region"],
        "correlation_id": application.get("correlation_id"),
        "amount_idr": charge.amount_idr,
        "kind": charge.kind,
        "account": charge.account,
        "channel": "simponi" if charge.kind == "pnbp" else "snap",
        "due": charge.due,
        "valid_hours": charge.valid_hours,
        "state": "created",
        "billing_code": None,
        "expires_at": None,
        "attempts": 0,
        "next_try_at": now,
        "receipt": None,
        "created_at": now,
        "updated_at": now,
    }


def bill_changed(bill: Mapping[str, Any], from_state: str | None, around: dict) -> BillChanged:
    """The event of ``bill`` as it is now (``around``: the application's envelope)."""
    receipt = bill.get("receipt") or {}
    return BillChanged(
        **around,
        data=BillData(
            bill_id=bill["_id"],
            application_id=bill["application_id"],
            tracking_number=bill["tracking_number"],
            service=bill["service"],
            region=bill["region"],
            state=bill["state"],
            from_state=from_state,
            amount_idr=bill["amount_idr"],
            kind=bill["kind"],
            account=bill.get("account"),
            channel=bill["channel"],
            billing_code=bill.get("billing_code"),
            expires_at=bill.get("expires_at"),
            ntpn=receipt.get("ntpn"),
            reference=receipt.get("reference"),
            qris=bill.get("qris"),
            ntb=receipt.get("ntb"),
            paid_at=receipt.get("paid_at"),
            reason=bill.get("reason"),
            virtual_account=bill.get("virtual_account"),
            channels=channels_of(bill),
        ),
    )


def channels_of(bill: Mapping[str, Any]) -> list[BillChannel]:
    """The ways the citizen may pay ``bill``, once it has its codes: SIMPONI's billing
    code for PNBP; the QRIS payload and the virtual account number for a levy."""
    if bill["channel"] == "simponi":
        code = bill.get("billing_code")
        return [BillChannel(kind="simponi", code=code)] if code else []
    found = [("qris", bill.get("qris")), ("virtual_account", bill.get("virtual_account"))]
    return [BillChannel(kind=kind, code=code) for kind, code in found if code]  # type: ignore[arg-type]


class BillRepository:
    """The ``bills`` collection: every read and write of a bill, in the caller's session."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db["bills"]

    async def create_indexes(self) -> None:
        bills = self.collection
        await bills.create_index([("application_id", ASCENDING)], name="by_application")
        await bills.create_index(
            [("billing_code", ASCENDING)],
            name="by_code",
            unique=True,
            partialFilterExpression={"billing_code": {"$type": "string"}},
        )
        await bills.create_index(
            [("next_try_at", ASCENDING)],
            name="to_issue",
            partialFilterExpression={"state": "created"},
        )
        await bills.create_index(
            [("expires_at", ASCENDING)],
            name="to_expire",
            partialFilterExpression={"state": "pending"},
        )

    async def insert(self, bills: list[dict], session: Session = None) -> None:
        if bills:
            await self.collection.insert_many(bills, session=session)

    async def get(self, bill_id: str, session: Session = None) -> dict | None:
        return await self.collection.find_one({"_id": bill_id}, session=session)

    async def by_code(self, code: str, session: Session = None) -> dict | None:
        return await self.collection.find_one({"billing_code": code}, session=session)

    async def of_application(self, application_id: str) -> list[dict]:
        """Every bill of an application, oldest first."""
        found = self.collection.find({"application_id": application_id})
        return await found.sort("created_at", ASCENDING).to_list(None)

    async def to_issue(self, now: datetime, limit: int) -> list[dict]:
        """Bills waiting for their payment code whose next attempt is due."""
        query = {"state": "created", "next_try_at": {"$lte": now}}
        return await self.collection.find(query).sort("next_try_at").to_list(limit)

    async def past_expiry(self, now: datetime, limit: int) -> list[dict]:
        query = {"state": "pending", "expires_at": {"$lt": now}}
        return await self.collection.find(query).sort("expires_at").to_list(limit)

    async def move(
        self, bill: Mapping[str, Any], to: BillState, sets: Mapping[str, Any], session: Session
    ) -> dict:
        """Move ``bill`` to ``to`` with ``sets``, guarded by the state it was read in;
        returns the bill as it is now. Raises :class:`BillMoved` when another writer
        moved it first (the caller's transaction is then aborted)."""
        if to not in BILL_MOVES[bill["state"]]:
            raise BillMoved(f"bill {bill['_id']} is {bill['state']}; it cannot become {to}")
        changes = {**sets, "state": to}
        done = await self.collection.update_one(
            {"_id": bill["_id"], "state": bill["state"]}, {"$set": changes}, session=session
        )
        if done.modified_count != 1:
            raise BillMoved(f"bill {bill['_id']} changed meanwhile")
        return {**bill, **changes}

    async def open_refundable(self, bill: Mapping[str, Any]) -> None:
        """Give a paid bill its refundable amount (all of it) the first time a refund is
        asked; every writer writes the same value, so the first one wins harmlessly."""
        await self.collection.update_one(
            {"_id": bill["_id"], "state": "paid", "refundable_idr": {"$exists": False}},
            {"$set": {"refundable_idr": bill["amount_idr"]}},
        )

    async def take_refundable(self, bill_id: str, amount: int, session: Session) -> dict | None:
        """Take ``amount`` off a paid bill's refundable amount in one conditional update,
        if it has that much: the bill after, or None (two refunds at once cannot both
        take the last of it)."""
        return await self.collection.find_one_and_update(
            {"_id": bill_id, "state": "paid", "refundable_idr": {"$gte": amount}},
            {"$inc": {"refundable_idr": -amount}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def give_back_refundable(
        self, bill_id: str, amount: int, session: Session
    ) -> dict | None:
        """A refund that failed: its amount is refundable again."""
        return await self.collection.find_one_and_update(
            {"_id": bill_id},
            {"$inc": {"refundable_idr": amount}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def try_later(self, bill: Mapping[str, Any], wait: timedelta, now: datetime) -> None:
        """Count a failed attempt to issue ``bill`` and put off the next one."""
        await self.collection.update_one(
            {"_id": bill["_id"], "state": "created"},
            {"$inc": {"attempts": 1}, "$set": {"next_try_at": now + wait, "updated_at": now}},
        )
