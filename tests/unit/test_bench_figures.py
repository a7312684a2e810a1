"""A benchmark cannot publish a figure no measurement can produce; the per-application
cost's index accounting. No servers."""

import json

import pytest

import bench.common
from bench.__main__ import round_trip_section
from bench.common import Figure, ImpossibleFigure, check, report
from bench.cost import Reading, index_entries, per_application, touches
from bench.probe import updated_fields


def test_a_negative_time_is_refused_with_the_figure_named():
    with pytest.raises(ImpossibleFigure, match="202 → audit record p50: value negative"):
        check("pipeline", Figure("202 → audit record p50", -1_795_444_751_350.4, "ms"))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None])
def test_a_missing_time_is_refused(value):
    with pytest.raises(ImpossibleFigure, match="missing"):
        check("pipeline", Figure("202 → inbox p99", value, "ms"))  # type: ignore[arg-type]


def test_a_negative_baseline_is_refused_and_a_figure_without_one_is_not():
    check("routing", Figure("routed", 10.0, "applications/s"))
    with pytest.raises(ImpossibleFigure, match="baseline negative"):
        check("routing", Figure("routed", 10.0, "applications/s", baseline=-1.0))


def test_report_writes_nothing_when_one_figure_is_impossible(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench.common, "RESULTS", tmp_path)
    good = Figure("accepted rate", 49.9, "submissions/s")
    bad = Figure("202 → audit record p99", float("nan"), "ms")
    with pytest.raises(SystemExit, match="benchmark failed, nothing written"):
        report("pipeline", [good, bad])
    assert list(tmp_path.iterdir()) == []
    report("pipeline", [good])
    assert json.loads((tmp_path / "pipeline.json").read_text())["figures"][0]["value"] == 49.9


def test_an_update_touches_the_indexes_whose_key_includes_a_field_it_sets():
    assert updated_fields({"$set": {"status": "routed", "timeline.3": {}}}) == {
        "status",
        "timeline.3",
    }
    assert updated_fields({"status": "routed"}) == {"*"}  # a replacement
    assert touches(["status", "_id"], ["status"])
    assert touches(["applicant.nik"], ["applicant"])
    assert touches(["timeline"], ["timeline.3"])
    assert not touches(["_id"], ["status"])


def test_index_entries_count_every_index_for_inserts_and_deletes_and_touched_ones_for_updates():
    indexes = {
        "db.apps": [["_id"], ["tracking_number"], ["citizen_id", "_id"]],
        "db.outbox": [["_id"]],
    }
    counters = {
        "inserted": {"db.apps": 2, "db.outbox": 1},
        "deleted": {"db.outbox": 1},
        "updated": {"db.apps": {"status": 4, "citizen_id,status": 1}},
    }
    assert index_entries(counters, indexes) == 2 * 3 + 1 + 1 + 4 * 0 + 1 * 1


def test_the_cost_breaks_round_trips_down_by_process_command_and_collection():
    def reading(at: float, finds: int, commits: int) -> Reading:
        targets = {"find outbox": finds, "commitTransaction": commits}
        return Reading(
            at=at,
            database_requests=finds + commits,
            database_write_bytes=0,
            cpu={"routing": at / 10},
            probes={"routing": {"commands": {}, "targets": targets}},
        )

    start, idle_end, loaded = reading(0, 0, 0), reading(10, 10, 0), reading(30, 50, 20)
    cost = per_application(loaded.since(idle_end), idle_end.since(start), 20, {})
    assert cost.round_trips_by_command == {
        "routing": {"find outbox": 2.0, "commitTransaction": 1.0}
    }
    assert cost.idle_by_command == {"routing": {"find outbox": 1.0}}
    lines = round_trip_section(cost.round_trips_by_command)
    assert lines[-2:] == [
        "| routing | find outbox | 2.00 |",
        "| routing | commitTransaction | 1.00 |",
    ]
