"""Bills and settlement records against the real database: routing's sweeper, built as
the service builds it, removes a finished bill, a settlement import and its findings
once their ten-year period has run out, keeps a bill still open however old, and keeps
the younger ones; an application whose bill expired unpaid goes on a withdrawn
application's period, not a decided one's."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.routing.composition import build_parts
from shared.settings import Settings

NOW = datetime(2037, 1, 10, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def aged(days: int, inside: bool = False) -> datetime:
    return NOW - timedelta(days=days) + (SECOND if inside else -SECOND)


async def ids(collection: Any) -> set[Any]:
    return {row["_id"] for row in await collection.find({}, {"_id": 1}).to_list(None)}


async def test_finished_bills_and_settlement_records_go_after_ten_years_and_not_before(
    settings: Settings,
):
    parts = build_parts(settings)
    db = parts.runtime.db
    years = settings.retain_payment_records_days
    assert years == 3653  # ten years, leap days included
    await db["bills"].insert_many(
        [
            {"_id": "paid-old", "state": "paid", "updated_at": aged(years)},
            {"_id": "expired-old", "state": "expired", "updated_at": aged(years)},
            {"_id": "paid-young", "state": "paid", "updated_at": aged(years, inside=True)},
            {"_id": "pending-old", "state": "pending", "updated_at": aged(2 * years)},
        ]
    )
    await db["reconciliation_runs"].insert_many(
        [{"_id": "run-old", "at": aged(years)}, {"_id": "run-young", "at": aged(30)}]
    )
    await db["reconciliation_findings"].insert_many(
        [
            {"_id": "finding-old", "found_at": aged(years)},
            {"_id": "finding-young", "found_at": aged(years, inside=True)},
        ]
    )
    try:
        survey = {f.sweep.label: f.expired for f in await parts.retention.survey(NOW)}
        removed = await parts.retention.sweep_once(NOW)

        assert survey["payment-records/bills"] == 2
        assert removed["payment-records/bills"] == 2
        assert removed["payment-records/reconciliation_runs"] == 1
        assert removed["payment-records/reconciliation_findings"] == 1
        assert await ids(db["bills"]) == {"paid-young", "pending-old"}
        assert await ids(db["reconciliation_runs"]) == {"run-young"}
        assert await ids(db["reconciliation_findings"]) == {"finding-young"}
    finally:
        await parts.runtime.mongo.close()


async def test_an_application_whose_bill_expired_goes_on_the_withdrawn_period(
    settings: Settings,
):
    parts = build_parts(settings)
    db = parts.runtime.db
    withdrawn = settings.retain_applications_withdrawn_days
    assert withdrawn < settings.retain_applications_decided_days
    await db["applications"].insert_many(
        [
            {"_id": "lapsed-old", "status": "payment_expired", "updated_at": aged(withdrawn)},
            {"_id": "lapsed-young", "status": "payment_expired", "updated_at": aged(30)},
            {"_id": "owing-old", "status": "payment_due", "updated_at": aged(withdrawn)},
        ]
    )
    try:
        removed = await parts.retention.sweep_once(NOW)

        assert removed["applications-withdrawn/applications"] == 1
        assert await ids(db["applications"]) == {"lapsed-young", "owing-old"}
    finally:
        await parts.runtime.mongo.close()
