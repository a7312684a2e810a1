"""Each region's SLA clock: its own zone's end of day, the national holidays and its own
days off — in that region only."""

from datetime import UTC, date, datetime

from shared.calendar import WorkingCalendar, add_working_days, working_days_remaining
from shared.catalogue import Catalogue, Region, RegionDay, Text
from shared.i18n import when_in_words
from shared.i18n.zones import WIB, WIT, WITA

# Hari Jadi Kota Makassar, 9 November: the city's own day off (a Monday in 2026).
MAKASSAR_DAY = RegionDay(
    date=date(2026, 11, 9), name=Text(id="Hari Jadi Kota Makassar", en="Makassar City Day")
)


def catalogue(*regions: Region) -> Catalogue:
    return Catalogue(version=1, regions=list(regions), agencies=[], services=[])


REGIONS = catalogue(
    Region(code="7371", name="Kota Makassar", mpp="MPP Makassar", holidays=(MAKASSAR_DAY,)),
    Region(code="9471", name="Kota Jayapura", mpp="MPP Jayapura"),
    Region(code="3576", name="Kota Mojokerto", mpp="MPP Gajah Mada"),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_makassar_application_is_due_at_the_end_of_the_day_in_wita():
    # Monday 7 December 2026, 10:00 WITA; 3 working days: Tue 8, Wed 9, Thu 10.
    due = REGIONS.calendar_for("7371").add_working_days(utc(2026, 12, 7, 2), 3)
    assert due == utc(2026, 12, 10, 15, 59, 59)
    assert due.astimezone(WITA).isoformat() == "2026-12-10T23:59:59+08:00"


def test_a_jayapura_application_is_due_at_the_end_of_the_day_in_wit():
    due = REGIONS.calendar_for("9471").add_working_days(utc(2026, 12, 7, 2), 3)
    assert due == utc(2026, 12, 10, 14, 59, 59)


def test_a_mojokerto_application_is_due_as_before_at_the_end_of_the_day_in_wib():
    start = utc(2026, 12, 7, 2)
    due = REGIONS.calendar_for("3576").add_working_days(start, 3)
    assert due == utc(2026, 12, 10, 16, 59, 59) == add_working_days(start, 3)


def test_the_day_of_submission_is_the_regions_own_day():
    # 16:30 UTC on Monday is still Monday 23:30 in WIB but already Tuesday in WITA and
    # WIT, so a 1-day SLA ends a day later there.
    start = utc(2026, 12, 7, 16, 30)
    assert REGIONS.calendar_for("3576").add_working_days(start, 1).astimezone(WIB).day == 8
    assert REGIONS.calendar_for("7371").add_working_days(start, 1).astimezone(WITA).day == 9
    assert REGIONS.calendar_for("9471").add_working_days(start, 1).astimezone(WIT).day == 9


def test_a_regions_own_holiday_is_skipped_in_that_region_only():
    # Friday 6 November 2026 + 1 working day: the weekend, then Monday 9 November is
    # Makassar's own day off, so Makassar's due date is Tuesday; Jayapura's is Monday.
    start = utc(2026, 11, 6, 2)
    makassar = REGIONS.calendar_for("7371").add_working_days(start, 1)
    jayapura = REGIONS.calendar_for("9471").add_working_days(start, 1)
    assert makassar.astimezone(WITA).date() == date(2026, 11, 10)
    assert jayapura.astimezone(WIT).date() == date(2026, 11, 9)
    assert not REGIONS.calendar_for("7371").is_working_day(date(2026, 11, 9))
    assert REGIONS.calendar_for("3576").is_working_day(date(2026, 11, 9))


def test_a_national_holiday_is_skipped_in_every_zone():
    # Christmas, Friday 25 December 2026: a 1-day SLA from Thursday 24 ends on Monday 28
    # (24 December is collective leave: still a working day, but it is the start day).
    for code, zone in (("7371", WITA), ("9471", WIT), ("3576", WIB)):
        start = datetime(2026, 12, 24, 9, tzinfo=zone)
        due = REGIONS.calendar_for(code).add_working_days(start, 1)
        assert due.astimezone(zone).date() == date(2026, 12, 28), code
        assert due.astimezone(zone).time().isoformat() == "23:59:59", code


def test_a_weekend_is_skipped():
    # Friday 11 December 2026 in Jayapura + 1 working day: Monday 14 December.
    due = REGIONS.calendar_for("9471").add_working_days(datetime(2026, 12, 11, 9, tzinfo=WIT), 1)
    assert due == utc(2026, 12, 14, 14, 59, 59)


def test_working_days_left_are_counted_in_the_regions_zone_and_days_off():
    calendar = REGIONS.calendar_for("7371")
    due = calendar.add_working_days(utc(2026, 11, 5, 2), 3)  # Thu 5 Nov → Wed 11 Nov
    assert due == utc(2026, 11, 11, 15, 59, 59)
    # Friday 6 November: Tuesday 10 and Wednesday 11 left (Monday 9 is Makassar's day off).
    assert calendar.working_days_remaining(utc(2026, 11, 6, 2), due) == 2
    # 16:30 UTC on the due day is already Thursday in Makassar: one working day late.
    assert calendar.working_days_remaining(utc(2026, 11, 11, 16, 30), due) == -1
    assert working_days_remaining(utc(2026, 11, 11, 16, 30), due) == 0  # WIB: still today


def test_a_zone_the_region_declares_wins_over_its_provinces():
    # A region the province rule would put in WIB that declares WITA (a boundary change
    # the rule does not know yet) is counted and shown in WITA.
    declared = catalogue(Region(code="3576", name="Kota Mojokerto", mpp="MPP", zone="WITA"))
    assert declared.zone_of("3576") is WITA
    assert declared.calendar_for("3576").zone is WITA
    due = declared.calendar_for("3576").add_working_days(utc(2026, 12, 7, 2), 3)
    assert due == utc(2026, 12, 10, 15, 59, 59)
    assert when_in_words(due, declared.zone_of("3576"), "id").endswith("23.59 WITA")


def test_a_region_not_in_the_catalogue_keeps_its_provinces_zone_and_the_national_days():
    assert REGIONS.zone_of("7372") is WITA  # Kota Parepare, same province as Makassar
    assert REGIONS.zone_of("9101") is WIT
    assert REGIONS.zone_of(None) is WIB
    assert REGIONS.calendar_for("7372") == WorkingCalendar(zone=WITA)
    assert REGIONS.calendar_for("7372").is_working_day(date(2026, 11, 9))
