"""The dashboard's counters, as pure functions: folding each change's difference gives the
same figures as counting the applications themselves."""

from datetime import UTC, datetime, timedelta

from services.routing.dashboard_counts import (
    contribution,
    difference,
    grouped,
    overdue_until,
    summed,
)
from services.routing.web.dashboard import median_hours, summarise, summary_from_counts

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _application(n: int, status: str = "routed", **fields) -> dict:
    submitted = NOW - (200 + n) * HOUR
    return {
        "_id": f"a{n}",
        "tracking_number": f"T-{n}",
        "region": "3576" if n % 2 else "3514",
        "agency": "polres-3576",
        "service": "skck",
        "status": status,
        "submitted_at": submitted,
        "updated_at": submitted,
        "sla_due_at": submitted + 120 * HOUR,
        "sla_breached": False,
        **fields,
    }


def _same_figures(counts: dict, applications: list[dict]) -> None:
    expected = summarise(applications, NOW)
    found = summary_from_counts(counts, [])
    assert found.total == expected.total
    for rows in ("by_region", "by_agency", "by_service", "by_status", "by_channel"):
        assert dict(getattr(found, rows)) == dict(getattr(expected, rows)), rows
    assert found.decided == expected.decided
    assert found.median_days_to_decision == expected.median_days_to_decision
    assert found.within_sla_share == expected.within_sla_share


def test_folding_every_change_gives_the_figures_of_a_full_count():
    applications = [_application(n) for n in range(9)]
    counts = summed(contribution(a) for a in applications)
    moves = [
        (0, {"status": "received"}),
        (0, {"status": "in_review"}),
        (0, {"status": "approved", "decided_at": NOW - 150 * HOUR}),
        (0, {"status": "completed", "updated_at": NOW - HOUR}),  # completion: not a decision
        (1, {"status": "received"}),
        (1, {"status": "rejected", "decided_at": NOW - 10 * HOUR}),  # after its due date
        (2, {"status": "cancelled"}),
        (3, {"sla_breached": True}),  # escalated by the sweep
        (3, {"status": "received"}),
        (4, {"agency": "disdukcapil-3514", "status": "routed"}),  # re-routed
        (5, {"status": "received"}),
        (5, {"status": "in_review"}),
        (5, {"status": "approved", "decided_at": NOW - 180 * HOUR}),
    ]
    for n, change in moves:
        before = applications[n]
        applications[n] = {**before, **change}
        counts = summed([counts, difference(before, applications[n])])
    _same_figures(counts, applications)
    assert grouped(counts, "status") == {
        "completed": 1,
        "rejected": 1,
        "cancelled": 1,
        "received": 1,
        "approved": 1,
        "routed": 4,
    }
    assert counts["overdue"] == 1


def test_a_change_that_moves_nothing_on_the_dashboard_adds_nothing():
    application = _application(1)
    assert difference(application, {**application, "note": "read by an officer"}) == {}


def test_codes_with_dots_or_dollars_are_counted_under_their_own_name():
    application = _application(1, service="izin.praktik$baru")
    counts = contribution(application)
    assert grouped(counts, "service") == {"izin.praktik$baru": 1}
    assert all("." not in path.split(".", 1)[1] for path in counts if "." in path)


def test_the_median_of_a_histogram_is_the_middle_value_or_the_mean_of_the_two():
    assert median_hours({}) is None
    assert median_hours({48: 1, 96: 1, 144: 1}) == 96
    assert median_hours({48: 2, 96: 2}) == 72
    assert median_hours({1: 5, 1000: 1}) == 1


def test_the_overdue_list_reads_only_the_due_dates_it_shows():
    overdue = [
        _application(n, sla_breached=True, sla_due_at=NOW - timedelta(days=day))
        for n, day in enumerate([9, 9, 7, 3, 3, 3])
    ]
    counts = summed(contribution(a) for a in overdue)
    assert overdue_until(counts, 2) == datetime(2026, 3, 2, tzinfo=UTC)  # the two of 1 March
    assert overdue_until(counts, 3) == datetime(2026, 3, 4, tzinfo=UTC)
    assert overdue_until(counts, 50) == datetime(2026, 3, 8, tzinfo=UTC)  # all of them
    assert overdue_until({}, 50) is None


def test_each_channel_is_counted_and_those_routed_before_channels_were_kept_are_not_recorded():
    applications = [
        _application(1, channel="mobile_unit"),
        _application(2, channel="mobile_unit"),
        _application(3, channel="counter"),
        _application(4),  # routed before the channel was kept
    ]
    counts = summed(contribution(a) for a in applications)
    summary = summary_from_counts(counts, [])
    assert summary.by_channel == [("mobile_unit", 2), ("-", 1), ("counter", 1)]
    _same_figures(counts, applications)
    moved = {**applications[0], "status": "received"}
    assert not any(k.startswith("channel.") for k in difference(applications[0], moved))
