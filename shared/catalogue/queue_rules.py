"""How one service is queued at one region's MPP: its opening hours, slot length, places
per slot and the share of them kept for walk-ins.

A region's package declares them (the optional ``queue`` section,
:class:`~shared.catalogue.packaging.models.QueueSettings`); the compiler turns them into
one :class:`QueueRules` per region and service (``catalogue.queue_rules(region,
service)``), so the booking API, the ledger and the kiosk read the same numbers. The
MPP's counters (loket) and the services each calls are :class:`QueueCounter`
(``catalogue.counters_of(region)``): an officer calls only from one of them.
"""

from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["COUNTER_ID", "WEEKDAYS", "QueueCounter", "QueueRules", "Weekday"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""In ``date.weekday()`` order."""
COUNTER_ID = r"^[a-z0-9][a-z0-9-]{0,31}$"
"""A counter's id as officers' calls and tickets carry it (``loket-3``)."""


class QueueRules(BaseModel):
    """One service's queue at one region's MPP."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    service: str
    slot_minutes: int = Field(ge=1)
    quota_per_slot: int = Field(ge=1, description="Places per slot, online and walk-in together.")
    walkin_share_percent: int = Field(ge=0, le=100)
    grace_minutes: int = Field(
        default=15,
        ge=0,
        description="Minutes after a slot's start a booking may still be checked in; then "
        "it is released to walk-ins.",
    )
    hours: dict[Weekday, tuple[time, time]] = Field(
        description="Opening and closing time per weekday, in the region's local time; a "
        "weekday not listed is closed."
    )

    @property
    def walkin_limit(self) -> int:
        """The places of a slot kept for walk-ins: the share, rounded half up, so a share
        above zero keeps at least one place of a slot with two or more."""
        return min(
            self.quota_per_slot, (self.quota_per_slot * self.walkin_share_percent + 50) // 100
        )

    @property
    def online_limit(self) -> int:
        """The places of a slot a booking from the phone may take: the rest."""
        return self.quota_per_slot - self.walkin_limit

    def slots_on(self, day: date) -> list[time]:
        """The start of every slot on ``day`` (local time); none on a closed weekday.
        Whether ``day`` is a working day at all is the region's calendar's question."""
        opening = self.hours.get(WEEKDAYS[day.weekday()])
        if opening is None:
            return []
        start, end = (datetime.combine(day, moment) for moment in opening)
        step = timedelta(minutes=self.slot_minutes)
        starts = []
        while start + step <= end:
            starts.append(start.time())
            start += step
        return starts


class QueueCounter(BaseModel):
    """One counter (loket) of a region's MPP: what the hall's display calls it and the
    queued services its officer calls tickets for. A region's package declares them; a
    package with a queue and no counters has one per queued service (the compiler's
    default, docs/catalogue.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    id: str = Field(pattern=COUNTER_ID)
    label: str = Field(min_length=1, max_length=40)
    services: tuple[str, ...] = Field(min_length=1)
