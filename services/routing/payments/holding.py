"""Holding an application whose fee is due before the agency starts, and letting it go.

When billing is on (``MPP_PAYMENTS_BILLING``) and the service's fee rule says the fee is
due ``before_agency``, routing stores the submitted application without an agency: the
office it will go to waits in ``held_for``, so neither the agency API nor the workbench
nor a Kafka inbox can see it, and its SLA clock has not started. Its bill is made in the
same transaction. Once the bill is paid, :func:`release_sets` gives the application its
agency and a due date counted from the payment, and :func:`dispatch_on_release` sends it
to the agency in the transaction that records the payment.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.routing.announcements import dispatched as dispatched_event
from services.routing.announcements import envelope
from services.routing.handler_kinds import kind_of
from services.routing.payments.bills import bill_changed, new_bill
from shared.catalogue import Charge
from shared.events import Event
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = ["charge_before_agency", "dispatch_on_release", "hold", "release_sets"]


def charge_before_agency(submitted: Any, uow: "RoutingUnitOfWork") -> Charge | None:
    """What the application owes before its agency starts; None when billing is off, the
    service bills nothing, or its fee is due later."""
    if getattr(uow.parts, "bills", None) is None:
        return None
    charge = uow.catalogue.charge(submitted.service, submitted.region, submitted.form)
    return charge if charge is not None and charge.due == "before_agency" else None


def hold(
    document: dict[str, Any], charge: Charge, around: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], Event]:
    """Turn a routed ``document`` into a held one (changed in place) and make its bill;
    returns the bill and its ``created`` event."""
    document["held_for"] = {
        "agency": document["agency"],
        "handler_kind": document["handler_kind"],
        "delivery_state": document["delivery_state"],
    }
    bill = new_bill(document, charge, now)
    document.update(
        status="submitted",
        agency=None,
        handler_kind=None,
        delivery_state=None,
        sla_due_at=None,
        bill_id=bill["_id"],
    )
    return bill, bill_changed(bill, None, around)


def release_sets(
    application: Mapping[str, Any], paid_at: datetime, uow: "RoutingUnitOfWork"
) -> dict[str, Any]:
    """What a held application gets once paid: its office, and a due date counted in its
    region's working days from the payment (the clock did not run while the citizen
    owed)."""
    held = application.get("held_for") or {}
    terms = uow.catalogue.terms(application["service"], application["region"])
    service = uow.catalogue.service(application["service"])
    days = (terms or service).sla_working_days if (terms or service) else None
    due = None
    if days is not None:
        due = uow.catalogue.calendar_for(application["region"]).add_working_days(paid_at, days)
    sets: dict[str, Any] = {**held, "held_for": None, "sla_due_at": due}
    if due is not None and held.get("agency"):
        sets["sla_open"] = True
    return sets


async def dispatch_on_release(
    application: Mapping[str, Any], cause: Event, tx: Transaction, uow: "RoutingUnitOfWork"
) -> None:
    """Send the released application to its agency on its handler kind, as routing does
    for an application that owes nothing."""
    kind = kind_of(dict(application))
    if kind is None or application.get("agency") is None:
        return
    dispatched = dispatched_event(
        application,
        envelope(application, cause),
        catalogue=uow.catalogue,
        sla_due_at=application.get("sla_due_at"),
    )
    await kind.send(application, dispatched, tx, uow)
