"""What a service costs, to whom it is paid, and when the citizen must pay it.

A service's package declares its :class:`FeeRule`; the amount itself is the region's
``fee_idr`` (its terms), so a region sets its own price while the national package
says what kind of money it is. The rule is one of three:

* ``free``: nothing to pay, whatever ``fee_idr`` says;
* ``fixed``: ``fee_idr`` rupiah;
* ``by_field``: ``fee_idr`` rupiah per unit of a numeric form field (a building's floor
  area for a PBG levy), rounded up to the rupiah.

The kind decides who bills: ``pnbp`` is national non-tax revenue, billed through
SIMPONI under the PNBP account code (``account``); ``regional_levy`` is the region's own
levy, paid to the region's bank by virtual account or QRIS. ``due`` says when:
``before_agency`` holds the application until it is paid (the agency never sees an
unpaid one); ``before_release`` bills after the agency approves.
"""

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Charge", "FeeDue", "FeeKind", "FeeRule", "charge_for"]

FeeKind = Literal["pnbp", "regional_levy"]
FeeDue = Literal["before_agency", "before_release"]


class FeeRule(BaseModel):
    """How a service's fee is worked out, and where and when it is paid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["free", "fixed", "by_field"]
    kind: FeeKind | None = Field(
        default=None, description="pnbp (SIMPONI) or regional_levy; none for a free service."
    )
    account: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="For pnbp: the six-digit PNBP account code (kode akun) it is booked to.",
    )
    field: str | None = Field(
        default=None, description="For by_field: the numeric form field fee_idr is per unit of."
    )
    due: FeeDue = Field(
        default="before_agency",
        description="before_agency: the agency receives the application once it is paid; "
        "before_release: billed after approval, before the result is released.",
    )
    valid_hours: int = Field(
        default=48, ge=1, le=24 * 30, description="How long a bill can be paid before it expires."
    )

    @model_validator(mode="after")
    def _complete(self) -> "FeeRule":
        if self.rule != "free" and self.kind is None:
            raise ValueError(f"a {self.rule} fee names its kind (pnbp or regional_levy)")
        if self.kind == "pnbp" and self.account is None:
            raise ValueError("a pnbp fee names its account code")
        if (self.rule == "by_field") != (self.field is not None):
            raise ValueError("a field is named exactly when the rule is by_field")
        return self


class Charge(BaseModel):
    """What one application owes: the amount worked out from its form and region."""

    model_config = ConfigDict(frozen=True)

    amount_idr: int = Field(gt=0)
    kind: FeeKind
    account: str | None
    due: FeeDue
    valid_hours: int


def charge_for(rule: FeeRule | None, fee_idr: int, form: dict[str, Any]) -> Charge | None:
    """What an application with ``form`` owes under ``rule`` at the region's ``fee_idr``;
    None when nothing is billed (no rule, a free rule, or an amount of zero). A
    ``by_field`` rule whose field is missing or not a number bills nothing: the form's
    own schema is what requires the field."""
    if rule is None or rule.rule == "free" or rule.kind is None:
        return None
    amount = fee_idr
    if rule.rule == "by_field":
        units = form.get(rule.field or "")
        if isinstance(units, bool) or not isinstance(units, int | float):
            return None
        amount = math.ceil(fee_idr * units)
    if amount <= 0:
        return None
    return Charge(
        amount_idr=amount,
        kind=rule.kind,
        account=rule.account,
        due=rule.due,
        valid_hours=rule.valid_hours,
    )
