"""The dashboard's payment figures: what was billed, paid, expired and refunded, counted
and summed per service, agency and the region's local day.

The database does the counting: one aggregation per figure groups the bills (or the
refunds) of the window by region, service and UTC hour, so a request reads a few
hundred groups, never the bills themselves. The hours are then put in each region's
local day (every Indonesian zone is a whole number of hours from UTC, so an hour never
straddles two local days), and each (service, region) is named by the agency the
catalogue routes it to.

Each figure is counted at its own moment: billed when the bill was made, paid when the
citizen paid (the receipt's time), expired when the sweep expired it, refunded when the
bank confirmed the refund (``refunds`` in state ``success``).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["EARLIEST_ZONE", "FIGURES", "PaymentTotals", "Tally", "Totals"]

FIGURES = ("billed", "paid", "expired", "refunded")


@dataclass
class Tally:
    """How many, and how many rupiah, of each figure."""

    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    amount_idr: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    def add(self, figure: str, count: int, amount: int) -> None:
        self.count[figure] += count
        self.amount_idr[figure] += amount


@dataclass
class Totals:
    """The window's figures, overall and per service, agency and local day."""

    since: date
    overall: Tally = field(default_factory=Tally)
    by_service: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_agency: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_day: dict[date, Tally] = field(default_factory=lambda: defaultdict(Tally))


_HOUR = "%Y-%m-%dT%H"
EARLIEST_ZONE = timezone(timedelta(hours=9))
"""WIT: the first of Indonesia's zones to start a day; the window opens there."""
_SOURCES: dict[str, tuple[str, dict[str, Any], str]] = {
    # figure: (collection, which rows, the moment it counts at)
    "billed": ("bills", {}, "created_at"),
    "paid": ("bills", {"state": "paid"}, "receipt.paid_at"),
    "expired": ("bills", {"state": "expired"}, "updated_at"),
    "refunded": ("refunds", {"state": "success"}, "updated_at"),
}


class PaymentTotals:
    """Reads the figures from ``bills`` and ``refunds`` by aggregation."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def create_indexes(self) -> None:
        """Each figure's window is read from an index on its moment."""
        await self.db["bills"].create_index("created_at", name="by_created")
        await self.db["bills"].create_index("receipt.paid_at", name="by_paid")
        await self.db["refunds"].create_index([("state", 1), ("updated_at", 1)], name="by_done")

    async def read(
        self,
        first_day: date,
        zone_of: Callable[[str], tzinfo],
        agency_of: Callable[[str, str], str | None],
    ) -> Totals:
        """The figures of every local day from ``first_day`` on; ``zone_of(region)`` and
        ``agency_of(service, region)`` come from the catalogue."""
        totals = Totals(since=first_day)
        since = datetime.combine(first_day, time(), EARLIEST_ZONE)
        for figure in FIGURES:
            for group in await self._groups(figure, since):
                region, service = group["region"], group["service"]
                hour = datetime.strptime(group["hour"], _HOUR).replace(tzinfo=UTC)
                local_day = hour.astimezone(zone_of(region)).date()
                if local_day < first_day:  # the evening before, west of the earliest zone
                    continue
                agency = agency_of(service, region) or "-"
                count, amount = group["count"], group["amount"]
                for tally in (
                    totals.overall,
                    totals.by_service[service],
                    totals.by_agency[agency],
                    totals.by_day[local_day],
                ):
                    tally.add(figure, count, amount)
        return totals

    async def _groups(self, figure: str, since: datetime) -> list[dict[str, Any]]:
        collection, which, moment = _SOURCES[figure]
        key = {"hour": {"$dateToString": {"format": _HOUR, "date": f"${moment}"}}}
        if figure == "refunded":  # a refund names its bill; the bill names the service
            return await self._refund_groups({**which, moment: {"$gte": since}}, key)
        pipeline = [
            {"$match": {**which, moment: {"$gte": since}}},
            {
                "$group": {
                    "_id": {"region": "$region", "service": "$service", **key},
                    "count": {"$sum": 1},
                    "amount": {"$sum": "$amount_idr"},
                }
            },
        ]
        rows = await (await self.db[collection].aggregate(pipeline)).to_list(None)
        return [{**row["_id"], "count": row["count"], "amount": row["amount"]} for row in rows]

    async def _refund_groups(self, match: dict[str, Any], key: dict) -> list[dict[str, Any]]:
        pipeline = [
            {"$match": match},
            {
                "$group": {
                    "_id": {"bill_id": "$bill_id", **key},
                    "count": {"$sum": 1},
                    "amount": {"$sum": "$amount_idr"},
                }
            },
        ]
        rows = await (await self.db["refunds"].aggregate(pipeline)).to_list(None)
        ids = list({row["_id"]["bill_id"] for row in rows})
        found = self.db["bills"].find({"_id": {"$in": ids}}, {"region": 1, "service": 1})
        bills = {bill["_id"]: bill async for bill in found}
        return [
            {
                "region": bills[row["_id"]["bill_id"]]["region"],
                "service": bills[row["_id"]["bill_id"]]["service"],
                "hour": row["_id"]["hour"],
                "count": row["count"],
                "amount": row["amount"],
            }
            for row in rows
            if row["_id"]["bill_id"] in bills
        ]
