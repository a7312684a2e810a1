"""Reconciliation: the settlement file of a day matched, entry by entry, to the bills.

Three findings, each one document in ``reconciliation_findings`` (docs/payments.md says
what an operator does with each):

* ``unmatched`` — settled but not paid here: no bill has the entry's code
  (``no_bill``), or its bill is not ``paid`` in the platform (``not_paid``);
* ``unsettled`` — a bill paid here on that day (its ``paid_at`` in Jakarta time), on a
  channel the file covers, that the file does not list;
* ``amount`` — the entry's amount differs from its paid bill's.

A finding's id is made from what it is about (day, kind, channel, code, receipt), so
importing the same file again finds the same documents rather than adding more; a
finding the new import no longer has (a corrected file) is removed. Each import is
recorded in ``reconciliation_runs`` with its counts and the settled totals per day,
region, agency and service.
"""

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.payments.settlement_file import SettledEntry
from shared.ids import uuid7

__all__ = ["FINDING_KINDS", "Reconciler", "ReconciliationRun", "settlement_day"]

FINDING_KINDS = ("unmatched", "unsettled", "amount")
SETTLEMENT_ZONE = ZoneInfo("Asia/Jakarta")
"""Billers and banks close their settlement day at midnight Jakarta time (WIB)."""


def settlement_day(day: date) -> tuple[datetime, datetime]:
    """The instants a settlement day spans, start included, end excluded."""
    start = datetime.combine(day, time(), SETTLEMENT_ZONE)
    return start, start + timedelta(days=1)


@dataclass
class ReconciliationRun:
    """One import: its findings and the totals of what matched."""

    run_id: str
    day: date
    channels: list[str]
    entries: int
    matched: int
    findings: list[dict] = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)
    """One row per (day, region, agency, service): ``count`` and ``amount_idr`` settled."""
    region: str | None = None
    """The one region reconciled (a finance officer's import); None: every region."""


def _finding_id(day: date, kind: str, channel: str, code: str | None, receipt: str | None) -> str:
    key = "|".join([day.isoformat(), kind, channel, code or "", receipt or ""])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _bill_fields(bill: dict | None, agency: str | None) -> dict[str, Any]:
    bill = bill or {}
    return {
        "bill_id": bill.get("_id"),
        "application_id": bill.get("application_id"),
        "tracking_number": bill.get("tracking_number"),
        "region": bill.get("region"),
        "service": bill.get("service"),
        "agency": agency,
        "amount_billed_idr": bill.get("amount_idr"),
        "bill_state": bill.get("state"),
    }


def _paid_receipt(bill: dict) -> str | None:
    receipt = bill.get("receipt") or {}
    return receipt.get("ntpn") or receipt.get("reference")


class Reconciler:
    """Matches settlement entries to the ``bills`` collection and keeps the findings."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.bills = db["bills"]
        self.applications = db["applications"]
        self.findings = db["reconciliation_findings"]
        self.runs = db["reconciliation_runs"]

    async def create_indexes(self) -> None:
        await self.findings.create_index(
            [("day", ASCENDING), ("region", ASCENDING)], name="by_day_region"
        )
        await self.runs.create_index([("day", ASCENDING)], name="by_day")
        await self.runs.create_index(
            [("region", ASCENDING), ("day", ASCENDING)], name="by_region_day"
        )

    async def reconcile(
        self,
        day: date,
        entries: Sequence[SettledEntry],
        now: datetime,
        source: str,
        region: str | None = None,
    ) -> ReconciliationRun:
        """Match the entries settled on ``day`` (``source``: the file's digest, recorded).

        With ``region`` (a region's finance officer importing the region's bank file),
        only that region is reconciled: entries for another region's bills are left out,
        an entry no bill has is the region's, and only its bills can be unsettled."""
        entries = [entry for entry in entries if entry.settlement_date == day]
        codes = [entry.billing_code for entry in entries]
        by_code = {
            b["billing_code"]: b async for b in self.bills.find({"billing_code": {"$in": codes}})
        }
        if region is not None:
            entries = [
                e
                for e in entries
                if by_code.get(e.billing_code, {}).get("region", region) == region
            ]
        channels = sorted({entry.channel for entry in entries})
        listed = {entry.billing_code for entry in entries}
        unsettled = await self._paid_that_day(day, channels, listed, region)
        agencies = await self._agencies([*by_code.values(), *unsettled])
        run = ReconciliationRun(uuid7(), day, channels, len(entries), 0, region=region)
        rows: Counter[tuple] = Counter()
        amounts: Counter[tuple] = Counter()
        for entry in entries:
            bill = by_code.get(entry.billing_code)
            agency = agencies.get(bill["application_id"]) if bill else None
            finding = _entry_finding(day, entry, bill, agency)
            if finding is not None:
                run.findings.append({**finding, "region": finding["region"] or region})
            if bill is not None and bill["state"] == "paid":
                run.matched += 1
                key = (day.isoformat(), bill["region"], agency, bill["service"])
                rows[key] += 1
                amounts[key] += entry.amount_idr
        for bill in unsettled:
            run.findings.append(_unsettled(day, bill, agencies.get(bill["application_id"])))
        run.totals = [
            {
                "day": k[0],
                "region": k[1],
                "agency": k[2],
                "service": k[3],
                "count": n,
                "amount_idr": amounts[k],
            }
            for k, n in sorted(rows.items(), key=lambda item: tuple(str(p) for p in item[0]))
        ]
        await self._store(run, now, source)
        return run

    async def _paid_that_day(
        self, day: date, channels: list[str], listed: set[str], region: str | None
    ) -> list[dict]:
        start, end = settlement_day(day)
        query: dict[str, Any] = {
            "state": "paid",
            "channel": {"$in": channels},
            "receipt.paid_at": {"$gte": start, "$lt": end},
        }
        if region is not None:
            query["region"] = region
        paid = await self.bills.find(query).to_list(None)
        return [bill for bill in paid if bill.get("billing_code") not in listed]

    async def _agencies(self, bills: list[dict]) -> dict[str, str | None]:
        ids = list({bill["application_id"] for bill in bills})
        found = self.applications.find({"_id": {"$in": ids}}, {"agency": 1})
        return {application["_id"]: application.get("agency") async for application in found}

    async def _store(self, run: ReconciliationRun, now: datetime, source: str) -> None:
        for finding in run.findings:
            fields = {k: v for k, v in finding.items() if k != "_id"}
            await self.findings.update_one(
                {"_id": finding["_id"]},
                {
                    "$set": {**fields, "seen_at": now, "run_id": run.run_id},
                    "$setOnInsert": {"found_at": now},
                },
                upsert=True,
            )
        # A finding this import no longer has (the file was corrected) is gone.
        gone: dict[str, Any] = {
            "day": run.day.isoformat(),
            "channel": {"$in": run.channels},
            "_id": {"$nin": [finding["_id"] for finding in run.findings]},
        }
        if run.region is not None:
            gone["region"] = run.region
        await self.findings.delete_many(gone)
        counts = Counter(finding["kind"] for finding in run.findings)
        await self.runs.insert_one(
            {
                "_id": run.run_id,
                "day": run.day.isoformat(),
                "channels": run.channels,
                "region": run.region,
                "source_sha256": source,
                "entries": run.entries,
                "matched": run.matched,
                "findings": {kind: counts.get(kind, 0) for kind in FINDING_KINDS},
                "totals": run.totals,
                "at": now,
            }
        )

    async def findings_of(self, day: date, region: str | None) -> list[dict]:
        """The findings of ``day``: of one region's bills, or every one (``None``)."""
        query: dict[str, Any] = {"day": day.isoformat()}
        if region is not None:
            query["region"] = region
        return await self.findings.find(query).sort([("kind", 1), ("_id", 1)]).to_list(None)

    async def mark_handled(
        self, finding_id: str, region: str, handled: dict[str, Any], session: Any
    ) -> tuple[dict | None, bool]:
        """Mark the region's finding handled, once: (the finding, or None when the region
        has no such finding; whether this mark was the first)."""
        found = await self.findings.find_one({"_id": finding_id, "region": region}, session=session)
        if found is None:
            return None, False
        done = await self.findings.update_one(
            {"_id": finding_id, "handled": None}, {"$set": {"handled": handled}}, session=session
        )
        return found, done.modified_count == 1

    async def last_run(self, day: date, region: str | None = None) -> dict | None:
        """The latest import of ``day``'s settlement (that covered ``region``, when given:
        its own, or a platform-wide one)."""
        query: dict[str, Any] = {"day": day.isoformat()}
        if region is not None:
            query["region"] = {"$in": [region, None]}
        return await self.runs.find_one(query, sort=[("at", -1)])


def _entry_finding(
    day: date, entry: SettledEntry, bill: dict | None, agency: str | None
) -> dict | None:
    """The finding one settled entry makes, or None when it matches its paid bill."""
    if bill is not None and bill["state"] == "paid" and bill["amount_idr"] == entry.amount_idr:
        return None
    if bill is None or bill["state"] != "paid":
        kind, reason = "unmatched", "no_bill" if bill is None else "not_paid"
    else:
        kind, reason = "amount", "amount_differs"
    return {
        "_id": _finding_id(day, kind, entry.channel, entry.billing_code, entry.receipt),
        "day": day.isoformat(),
        "kind": kind,
        "reason": reason,
        "channel": entry.channel,
        "billing_code": entry.billing_code,
        "receipt": entry.receipt,
        "amount_settled_idr": entry.amount_idr,
        "line": entry.line,
        **_bill_fields(bill, agency),
    }


def _unsettled(day: date, bill: dict, agency: str | None) -> dict:
    receipt = _paid_receipt(bill)
    return {
        "_id": _finding_id(day, "unsettled", bill["channel"], bill.get("billing_code"), receipt),
        "day": day.isoformat(),
        "kind": "unsettled",
        "reason": "not_in_file",
        "channel": bill["channel"],
        "billing_code": bill.get("billing_code"),
        "receipt": receipt,
        "amount_settled_idr": None,
        "line": None,
        **_bill_fields(bill, agency),
    }
