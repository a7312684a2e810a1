"""A fee due after approval, before the result is released (a PBG's regional levy, whose
amount follows the approved building).

When the agency approves an application whose service bills ``before_release`` (and
billing is on), its bill is made in the transaction of the approval, and the application
records that it owes it (``fee_owed``: the bill's id). While it owes, the agency cannot
complete it (:class:`FeeUnpaid`); the payment clears ``fee_owed`` in the transaction that
records it (:mod:`.settling`).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.routing.announcements import envelope
from services.routing.payments.bills import bill_changed, new_bill
from shared.errors import Rejected
from shared.events import utcnow
from shared.unit_of_work import Transaction
from shared.workflow import FULFILLED, ISSUING

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = ["FeeUnpaid", "owe_on_approval", "refuse_unpaid_release"]

APPROVAL = next(iter(ISSUING - {FULFILLED}))
"""The status that issues results on the way to completion: where a release fee is billed."""


class FeeUnpaid(Rejected):
    """The application's fee is due before its result is released, and is not paid."""

    def __init__(self, application_id: str) -> None:
        super().__init__(
            f"application {application_id}: the citizen has not paid its fee yet; "
            "it can be completed once the bill is paid"
        )


def refuse_unpaid_release(application: Mapping[str, Any], to: str) -> None:
    if to == FULFILLED and application.get("fee_owed"):
        raise FeeUnpaid(application["_id"])


async def owe_on_approval(
    uow: "RoutingUnitOfWork", application: Mapping[str, Any], to: str, tx: Transaction
) -> dict[str, Any]:
    """Bill the fee due before release when the application is approved; returns what
    the application stores with the approval (nothing when nothing is owed)."""
    if getattr(uow.parts, "bills", None) is None or to != APPROVAL or application.get("fee_owed"):
        return {}
    charge = uow.catalogue.charge(
        application["service"], application["region"], application.get("form") or {}
    )
    if charge is None or charge.due != "before_release":
        return {}
    bill = new_bill(application, charge, utcnow())
    await uow.parts.bills.insert([bill], tx.session)  # type: ignore[union-attr]
    tx.emit(uow.topics.payments, bill_changed(bill, None, envelope(application)))
    return {"fee_owed": bill["_id"]}
