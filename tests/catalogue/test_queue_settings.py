"""A region's queue settings: refused by path when they cannot make whole slots, and
compiled into the rules the booking API and the ledger read."""

from datetime import date, time

import pytest

from shared.catalogue import load_catalogue
from shared.catalogue.packaging import (
    PackageInvalid,
    compile_catalogue,
    diff_packages,
    package_from,
    render_changes,
)
from shared.catalogue.queue_rules import QueueRules
from tests.catalogue.support import national_document, region_document
from tests.catalogue.test_region_examples import examples_catalogue


def refused(document) -> list[str]:
    with pytest.raises(PackageInvalid) as error:
        package_from(document, "regions/3576")
    return [str(problem) for problem in error.value.problems]


def with_queue(**changes):
    document = region_document("3576")
    document["queue"] = {**document["queue"], **changes}
    return document


def test_opening_hours_that_close_before_they_open_are_refused():
    problems = refused(with_queue(hours={"mon": {"opens": "15:00", "closes": "08:00"}}))
    assert any("queue.hours.mon" in p and "after opens" in p for p in problems), problems


def test_hours_that_are_not_whole_slots_are_refused():
    problems = refused(with_queue(hours={"mon": {"opens": "08:00", "closes": "08:45"}}))
    assert any("not a whole number of 30-minute slots" in p for p in problems), problems


def test_a_quota_below_one_and_a_share_above_a_hundred_are_refused():
    problems = refused(
        with_queue(walkin_share_percent=101, services=[{"service": "skck", "quota_per_slot": 0}])
    )
    assert any("walkin_share_percent" in p for p in problems), problems
    assert any("quota_per_slot" in p for p in problems), problems


def test_a_queued_service_the_region_does_not_offer_is_refused_when_compiled():
    document = with_queue(services=[{"service": "paspor", "quota_per_slot": 3}], counters=[])
    national = package_from(national_document(), "national")
    with pytest.raises(PackageInvalid) as error:
        compile_catalogue(national, [package_from(document, "regions/3576")])  # type: ignore[list-item]
    assert [str(p) for p in error.value.problems] == [
        "regions/3576: queue.services[0].service: paspor is not a service region 3576 offers"
    ]


def test_the_demo_region_queues_ktp_with_five_places_online_and_two_for_walk_ins():
    rules = load_catalogue().queue_rules("3576", "ktp-el")
    assert rules is not None
    assert (rules.quota_per_slot, rules.online_limit, rules.walkin_limit) == (7, 5, 2)
    assert load_catalogue().queue_rules("3576", "pbg") is None  # not bookable there
    assert load_catalogue().queue_rules("3514", "ktp-el") is None  # no queue declared


def test_slots_fill_the_opening_hours_of_their_weekday_only():
    rules = load_catalogue().queue_rules("3576", "ktp-el")
    assert rules is not None
    friday, saturday = date(2026, 12, 11), date(2026, 12, 12)
    assert rules.slots_on(friday) == [
        time(8),
        time(8, 30),
        time(9),
        time(9, 30),
        time(10),
        time(10, 30),
    ]
    assert rules.slots_on(saturday) == []


@pytest.mark.parametrize(
    ("quota", "share", "walkin"), [(7, 30, 2), (10, 30, 3), (1, 30, 0), (4, 100, 4), (5, 0, 0)]
)
def test_the_walk_in_share_is_rounded_half_up_and_the_rest_is_online(quota, share, walkin):
    rules = QueueRules(
        region="3576",
        service="ktp-el",
        slot_minutes=30,
        quota_per_slot=quota,
        walkin_share_percent=share,
        hours={},
    )
    assert (rules.walkin_limit, rules.online_limit) == (walkin, quota - walkin)


def test_the_makassar_example_queues_three_services_in_its_own_zone():
    catalogue, _ = examples_catalogue()
    rules = catalogue.queue_rules("7371", "ktp-el")
    assert rules is not None
    assert (rules.online_limit, rules.walkin_limit) == (8, 4)  # 12 places, 30 % kept
    assert catalogue.queue_rules("7371", "akta-kelahiran") is not None
    assert catalogue.queue_rules("7371", "skck") is None
    assert catalogue.calendar_for("7371").zone.tzname(None) == "WITA"


def test_a_changed_quota_and_walk_in_share_show_in_the_packages_diff():
    before = package_from(region_document("3576"), "regions/3576")
    changed = region_document("3576")
    changed["queue"]["walkin_share_percent"] = 40
    changed["queue"]["services"][0]["quota_per_slot"] = 9
    del changed["queue"]["services"][1]
    lines = render_changes(diff_packages(before, package_from(changed, "regions/3576")))
    assert "regions/3576: queue: walkin_share_percent 30 → 40" in lines
    assert "regions/3576: queued service ktp-el: quota_per_slot 7 → 9" in lines
    assert "queued service kartu-keluarga removed" in lines
    without = region_document("3576")
    del without["queue"]
    dropped = diff_packages(before, package_from(without, "regions/3576"))
    assert [str(change) for change in dropped] == ["regions/3576: queue removed"]


def test_the_grace_period_is_fifteen_minutes_unless_the_package_says_otherwise():
    assert load_catalogue().queue_rules("3576", "ktp-el").grace_minutes == 15  # type: ignore[union-attr]
    document = with_queue(grace_minutes=5)
    national = package_from(national_document(), "national")
    catalogue = compile_catalogue(national, [package_from(document, "regions/3576")])  # type: ignore[list-item]
    assert catalogue.queue_rules("3576", "ktp-el").grace_minutes == 5  # type: ignore[union-attr]
    problems = refused(with_queue(grace_minutes=-1))
    assert any("grace_minutes" in p for p in problems), problems
