"""The national holidays: the yearly files checked against a second source, and a year
in use without a file said out loud."""

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays as holidays_package
import pytest
from prometheus_client.parser import text_string_to_metric_families

import shared.calendar as calendar
from shared.calendar import (
    NATIONAL,
    has_calendar,
    holiday_calendar,
    holidays,
    missing_years,
    warn_if_missing,
)
from shared.logging import configure_logging
from shared.metrics import ServiceMetrics

DATA = Path(calendar.__file__).parent / "catalogue" / "data"
YEARS = sorted(int(path.stem.split("-")[1]) for path in DATA.glob("holidays-*.json"))

KNOWN_DIFFERENCES: dict[date, str] = {
    # Isra Mikraj falls twice in 2027 (1448 H on 5 January, 1449 H on 26 December). The
    # 2027 file is provisional, written before the decree, with the first only; the
    # package lists both. A Sunday: no due date moves. It goes from this list when the
    # 2027 file is replaced by the decree's dates.
    date(2027, 12, 26): "Isra Mikraj 1449 H, a Sunday, missing from the provisional 2027 file",
}
"""National holidays the files and the ``holidays`` package disagree on, on purpose or
until a file is updated, each with the reason."""


def _file(year: int) -> dict:
    return json.loads((DATA / f"holidays-{year}.json").read_text(encoding="utf-8"))


def _differences(year: int, ours: set[date], theirs: set[date]) -> set[date]:
    return {day for day in ours ^ theirs if day.year == year and day not in KNOWN_DIFFERENCES}


def test_this_year_and_next_have_a_holiday_calendar():
    """Fails on the first day a year in use has no file: add it (the decree's dates, or
    provisional ones) before applications are due in that year."""
    today = date.today()
    for year in (today.year, today.year + 1):
        assert has_calendar(year), f"shared/catalogue/data/holidays-{year}.json is missing"
    assert missing_years(today) == ()


@pytest.mark.parametrize("year", YEARS)
def test_each_years_national_holidays_match_the_holidays_package(year):
    package = holidays_package.country_holidays("ID", years=year)
    different = _differences(year, set(holidays(year)), set(package))
    assert not different, {
        day.isoformat(): package.get(day, "only in our file") for day in different
    }


@pytest.mark.parametrize("year", [y for y in YEARS if not _file(y)["provisional"]])
def test_a_decreed_years_collective_leave_matches_the_holidays_package(year):
    package = holidays_package.country_holidays("ID", years=year, categories=("government",))
    leave = {h.day for h in holiday_calendar(year) if h.kind == "cuti_bersama"}
    assert leave == set(package)


def test_every_known_difference_is_still_a_difference():
    """A difference the sources no longer have is taken out of the list."""
    for day in KNOWN_DIFFERENCES:
        package = holidays_package.country_holidays("ID", years=day.year)
        assert (day in holidays(day.year)) != (day in package), day


def test_the_years_without_a_decree_are_marked_provisional():
    for year in YEARS:
        document = _file(year)
        assert document["year"] == year
        assert document["provisional"] == document["source"].startswith("PROVISIONAL"), year
    assert _file(2028)["provisional"] is True


def test_missing_years_are_this_year_and_next_without_a_file():
    assert missing_years(date(2026, 12, 7)) == ()
    assert missing_years(date(2028, 3, 1)) == (2029,)
    assert missing_years(date(2090, 3, 1)) == (2090, 2091)


def _warnings(capsys: pytest.CaptureFixture[str], event: str) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    return [line for line in lines if line["level"] == "warning" and line["event"] == event]


def test_counting_into_a_year_without_a_calendar_warns_once_for_that_year(capsys):
    configure_logging("test", "INFO", "json")
    holiday_calendar.cache_clear()
    holidays.cache_clear()
    start = datetime(2093, 1, 9, 10, tzinfo=calendar.WIB)  # a Friday
    first = NATIONAL.add_working_days(start, 1)
    NATIONAL.add_working_days(start + timedelta(days=3), 2)
    warned = _warnings(
        capsys, "no holiday calendar for this year: working days count weekends only"
    )
    assert [w["year"] for w in warned] == [2093]
    assert warned[0]["expected"] == "shared/catalogue/data/holidays-2093.json"
    assert first.astimezone(calendar.WIB).date() == date(2093, 1, 12)  # weekends only


def test_the_start_up_warning_names_the_missing_years(capsys, monkeypatch, tmp_path):
    configure_logging("test", "INFO", "json")
    assert warn_if_missing(date.today()) == ()
    monkeypatch.setattr(calendar, "_DATA", tmp_path)  # no file at all
    assert warn_if_missing(date(2026, 12, 7)) == (2026, 2027)
    (warned,) = _warnings(
        capsys,
        "holiday calendar missing: add shared/catalogue/data/holidays-<year>.json "
        "(the decree's dates, or provisional ones) before the year is used",
    )
    assert warned["years"] == [2026, 2027]


def _gauge(metrics: ServiceMetrics) -> float:
    text = metrics.exposition().decode()
    (family,) = [
        f for f in text_string_to_metric_families(text) if f.name == "mpp_holiday_calendar_missing"
    ]
    return family.samples[0].value


async def test_every_service_reports_a_missing_calendar_as_a_metric(monkeypatch, tmp_path):
    metrics = ServiceMetrics("intake")
    await metrics.refresh()
    assert _gauge(metrics) == 0
    monkeypatch.setattr(calendar, "_DATA", tmp_path)
    await metrics.refresh()
    assert _gauge(metrics) == 1
