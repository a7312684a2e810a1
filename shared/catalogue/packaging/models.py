"""What a package says: the national standard services, and one region's adoption of them.

The national package defines each standard service once (its form, the applicant fields
its agency receives, its requirements, the national maximum SLA and the default fee) and
the Kafka systems that serve many offices. A region's package names the region, its time
zone and offices, adopts national services (the office handling each, its own SLA within
the national maximum, its fee, its counters) and adds local services with their own forms.

Each model checks only what it can see alone; what needs more than one package (an office
that exists, an SLA under the national maximum, a code used twice) is checked when the
packages compile together (:mod:`shared.catalogue.packaging.compiler`).
"""

from datetime import date, datetime, time
from typing import Any, Literal

from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.catalogue import (
    ApplicantField,
    Handler,
    KafkaSystem,
    RegionDay,
    Text,
    TextList,
    ZoneName,
    check_form_schema,
)
from shared.catalogue.fees import FeeRule
from shared.catalogue.queue_rules import COUNTER_ID, Weekday

__all__ = [
    "Adoption",
    "Counter",
    "LocalService",
    "NationalPackage",
    "NationalService",
    "Office",
    "OpeningHours",
    "Package",
    "QueueSettings",
    "QueuedService",
    "RegionInfo",
    "RegionPackage",
]

Code = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _checked_form(form: dict[str, Any]) -> dict[str, Any]:
    """A form is a JSON Schema (2020-12) whose fields may be marked ``personal``."""
    try:
        check_form_schema(form)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path) or "the form"
        raise ValueError(f"not a valid JSON Schema ({where}: {error.message})") from None
    for name, field in form.get("properties", {}).items():
        if not isinstance(field, dict) or not isinstance(field.get("personal", False), bool):
            raise ValueError(f"form field {name}: 'personal' is true or false")
    return form


class _Described(_Strict):
    """What the citizen reads and fills: shared by national and local services."""

    name: Text
    requirements: TextList
    documents: list[str] = Field(description="Document kinds the applicant uploads.")
    applicant_fields: list[ApplicantField] = Field(
        default_factory=list,
        description="The applicant's profile fields the agency receives (data minimisation).",
    )
    form_version: int = Field(ge=1)
    form: dict[str, Any] = Field(
        description='JSON Schema 2020-12; a field marked "personal": true is sealed.'
    )
    fee: FeeRule | None = Field(
        default=None,
        description="How the fee is billed (free, fixed, by a form field), its kind and when "
        "it is due; absent: the platform bills nothing for it.",
    )

    _form = field_validator("form")(_checked_form)

    @model_validator(mode="after")
    def _fee_field_is_a_number(self) -> "_Described":
        field = self.fee.field if self.fee else None
        if field is not None:
            kind = self.form.get("properties", {}).get(field, {}).get("type")
            if kind not in ("number", "integer"):
                raise ValueError(f"fee.field {field}: not a number field of the form")
        return self


class NationalService(_Described):
    """A national standard service: defined once, adopted by each region that offers it."""

    code: str = Code
    sla_max_working_days: int = Field(
        ge=1, description="The national maximum: a region's SLA may be shorter, never longer."
    )
    fee_idr: int = Field(ge=0, description="The default fee; a region may set its own.")
    office: str | None = Field(
        default=None,
        description="A national office serving it in every region (BPJS Kesehatan), if any.",
    )


class Office(_Strict):
    """An office (agency) that handles applications, and how it receives them."""

    code: str = Code
    name: Text
    handler: Handler
    supervisor_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NationalPackage(_Strict):
    kind: Literal["national"]
    version: int = Field(ge=1)
    services: list[NationalService]
    offices: list[Office] = Field(
        default_factory=list, description="National offices, serving every region."
    )
    systems: list[KafkaSystem] = Field(
        default_factory=list, description="Kafka systems serving many offices (SIAK)."
    )


class RegionInfo(_Strict):
    code: str = Field(pattern=r"^[0-9]{4}$", description="Kemendagri code (NIK digits 1–4).")
    name: str
    mpp: str = Field(description="The MPP's name, as the region publishes it.")
    zone: ZoneName


class _Terms(_Strict):
    """The region's terms for one service: who handles it, how fast, for how much."""

    office: str
    counters: list[str] = Field(
        default_factory=list, description="The counters (loket) that serve it in the MPP."
    )


class Adoption(_Terms):
    """A national service the region offers."""

    service: str
    sla_working_days: int | None = Field(
        default=None, ge=1, description="At most the national maximum; absent: that maximum."
    )
    fee_idr: int | None = Field(default=None, ge=0, description="Absent: the national fee.")


class LocalService(_Described, _Terms):
    """A service only this region offers; its code is ``<region code>-<name>``."""

    code: str = Field(pattern=r"^[0-9]{4}-[a-z0-9][a-z0-9-]*$")
    sla_working_days: int = Field(ge=1)
    fee_idr: int = Field(ge=0)


class OpeningHours(_Strict):
    """One weekday's opening hours at the MPP, in the region's local time."""

    opens: time = Field(description="HH:MM, local time.")
    closes: time = Field(description="HH:MM, local time; after ``opens``, the same day.")

    @model_validator(mode="after")
    def _inside_the_day(self) -> "OpeningHours":
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self

    @property
    def minutes(self) -> int:
        day = date(2000, 1, 1)
        span = datetime.combine(day, self.closes) - datetime.combine(day, self.opens)
        return int(span.total_seconds()) // 60


class QueuedService(_Strict):
    """A service citizens may book a time for, and how many places each slot has."""

    service: str = Field(description="A service the region adopts or offers itself.")
    quota_per_slot: int = Field(
        ge=1, description="Places per slot for this service, online and walk-in together."
    )


class Counter(_Strict):
    """One counter (loket) of the MPP and the queued services its officer calls."""

    id: str = Field(
        pattern=COUNTER_ID,
        description="Lower case, digits and '-' (loket-3).",
        examples=["loket-3"],
    )
    label: str = Field(
        min_length=1,
        max_length=40,
        description="What the hall's display and the officer read (Loket 3).",
        examples=["Loket 3"],
    )
    services: list[str] = Field(
        min_length=1, description="Services of queue.services whose tickets this counter calls."
    )


class QueueSettings(_Strict):
    """The MPP's queue: when it opens, how long a slot is, and the share of each slot's
    places kept for citizens who come without booking."""

    hours: dict[Weekday, OpeningHours] = Field(
        description="Opening hours per weekday (mon … sun); a weekday not listed is closed."
    )
    slot_minutes: int = Field(ge=5, le=240, description="Length of one slot, in minutes.")
    walkin_share_percent: int = Field(
        ge=0, le=100, description="The share of each slot's places kept for walk-ins."
    )
    services: list[QueuedService] = Field(description="The services that can be booked.")
    grace_minutes: int = Field(
        default=15,
        ge=0,
        le=120,
        description="Minutes after a slot's start a booking may still be checked in; after "
        "them it is released and its place goes to walk-ins.",
    )
    counters: list[Counter] = Field(
        default_factory=list,
        description="The MPP's counters; an officer calls only from one of them. Absent: "
        "one counter per queued service, in its order (loket-1, Loket 1, calls the first).",
    )

    @model_validator(mode="after")
    def _slots_fill_the_hours(self) -> "QueueSettings":
        for weekday, opening in self.hours.items():
            if opening.minutes % self.slot_minutes:
                raise ValueError(
                    f"hours.{weekday}: {opening.minutes} minutes open is not a whole number "
                    f"of {self.slot_minutes}-minute slots"
                )
        return self


class RegionPackage(_Strict):
    kind: Literal["region"]
    version: int = Field(ge=1)
    region: RegionInfo
    offices: list[Office]
    adopts: list[Adoption] = Field(default_factory=list)
    services: list[LocalService] = Field(default_factory=list)
    holidays: list[RegionDay] = Field(
        default_factory=list, description="The region's own days off; the SLA clock skips them."
    )
    queue: QueueSettings | None = Field(
        default=None, description="The MPP's booking queue; absent: nothing can be booked."
    )


Package = NationalPackage | RegionPackage
