"""The dashboard's figures, computed from plain application documents."""

from datetime import UTC, datetime, timedelta

from services.routing.web.dashboard import bar_chart, summarise
from services.routing.web.dashboard_page import DashboardQuery, Names, dashboard_context
from shared.catalogue import load_catalogue

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _application(status: str, submitted_days_ago: float, decided_days_ago: float, due_in: float):
    return {
        "tracking_number": f"T-{status}-{submitted_days_ago}",
        "region": "3576",
        "agency": "polres-3576",
        "service": "skck",
        "status": status,
        "submitted_at": NOW - timedelta(days=submitted_days_ago),
        "updated_at": NOW - timedelta(days=decided_days_ago),
        "sla_due_at": NOW + timedelta(days=due_in),
    }


def test_the_median_time_to_decision_and_the_share_within_sla_count_decided_ones_only():
    summary = summarise(
        [
            _application("approved", 10, 8, -5),  # 2 days, decided before its due date
            _application("rejected", 10, 4, -7),  # 6 days, decided after its due date
            _application("completed", 10, 6, -1),  # 4 days, in time
            _application("in_review", 3, 1, 2),
        ],
        NOW,
    )
    assert summary.total == 4
    assert summary.decided == 3
    assert summary.median_days_to_decision == 4.0
    assert summary.within_sla_share == 66.7
    assert summary.by_service == [("skck", 4)]


def test_only_open_applications_past_their_due_date_are_overdue_earliest_first():
    late = _application("received", 9, 9, -3)
    later = _application("needs_info", 9, 9, -1)
    decided_late = _application("approved", 9, 1, -4)
    summary = summarise([later, decided_late, late, _application("received", 1, 1, 5)], NOW)
    assert [a["tracking_number"] for a in summary.overdue] == [
        late["tracking_number"],
        later["tracking_number"],
    ]


def test_an_empty_platform_has_no_figures_rather_than_zeros():
    summary = summarise([], NOW)
    assert summary.median_days_to_decision is None
    assert summary.within_sla_share is None
    assert bar_chart([])["bars"] == []


def test_the_longest_bar_fills_the_chart_and_the_others_are_in_proportion():
    chart = bar_chart([("3576", 10), ("3514", 5)], width=600)
    first, second = chart["bars"]
    assert first["width"] == 600 - chart["label_width"] - 60
    assert second["width"] == first["width"] / 2


def test_a_completed_application_counts_from_its_decision_not_its_completion():
    completed_late = {
        **_application("completed", 10, 1, -5),  # completed yesterday, due 5 days ago
        "decided_at": NOW - timedelta(days=7),  # but approved 3 days after submission
    }
    summary = summarise([completed_late, _application("rejected", 10, 5, -6)], NOW)
    assert summary.median_days_to_decision == 4.0  # the median of 3 and 5 days
    assert summary.within_sla_share == 50.0  # approved before its due date, rejected after


def test_the_charts_and_the_overdue_list_name_regions_agencies_and_services():
    overdue = _application("in_review", 20, 1, -3)
    summary = summarise([overdue, _application("approved", 10, 8, -5)], NOW)
    context = dashboard_context(
        DashboardQuery(english=True, signed_in=False),
        load_catalogue(),
        summary,
        [{"key": "skck", "ikm": 81.2}, {"key": "retired-service", "ikm": 70.0}],
        False,
    )

    labels = {
        name: [bar["label"] for bar in chart["bars"]] for name, chart in context["charts"].items()
    }
    assert labels["region"] == ["Kota Mojokerto"]
    assert labels["agency"] == ["Police Resort, Kota Mojokerto"]
    assert labels["service"] == ["Police clearance certificate (SKCK)"]
    assert labels["ikm"] == ["Police clearance certificate (SKCK)", "retired-service"]
    assert context["agency_names"]["polres-3576"] == labels["agency"][0]
    names = Names(load_catalogue(), english=False)
    assert names.agency("polres-3576") == "Kepolisian Resor Kota Mojokerto"
