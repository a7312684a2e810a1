"""The SLA clock counts working days: weekends and national holidays do not count."""

from datetime import UTC, date, datetime

import pytest

from shared.calendar import (
    WIB,
    add_working_days,
    holiday_calendar,
    holidays,
    is_working_day,
    working_days_remaining,
)


def wib(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WIB)


def test_a_due_date_skips_a_national_holiday_and_the_weekend_around_it():
    # Thursday 14 May 2026 is Ascension Day (national); Friday 15 May is collective
    # leave, which public services still count as a working day; then a weekend.
    due = add_working_days(wib(2026, 5, 13), 3)
    assert due.astimezone(WIB).date() == date(2026, 5, 19)
    assert due.astimezone(WIB).time().hour == 23
    # 13 May (start, not counted) → 15 May (1) → 18 May (2) → 19 May (3)


def test_the_eid_holidays_on_a_weekend_and_independence_day_are_skipped():
    # Independence Day, Monday 17 August 2026: a 1-day SLA from Friday 14 August ends
    # on Tuesday 18 August.
    assert add_working_days(wib(2026, 8, 14), 1).astimezone(WIB).date() == date(2026, 8, 18)


def test_new_year_and_isra_mikraj_2025_are_skipped():
    # Friday 24 Jan 2025 + 2 working days: Mon 27 Jan is Isra Mikraj → Tue 28, Wed 29 is
    # Chinese New Year → Thu 30.
    assert add_working_days(wib(2025, 1, 24), 2).astimezone(WIB).date() == date(2025, 1, 30)


def test_a_late_evening_submission_counts_from_its_day_in_western_indonesia_time():
    # 20:00 UTC on Tuesday is already Wednesday 03:00 in WIB.
    start = datetime(2026, 6, 2, 20, 0, tzinfo=UTC)
    assert add_working_days(start, 1).astimezone(WIB).date() == date(2026, 6, 4)


def test_collective_leave_is_listed_but_is_a_working_day():
    kinds = {h.day: h.kind for h in holiday_calendar(2026)}
    assert kinds[date(2026, 5, 15)] == "cuti_bersama"
    assert date(2026, 5, 15) not in holidays(2026)
    assert is_working_day(date(2026, 5, 15))


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_year_from_2025_to_2027_has_its_national_holidays(year):
    national = holidays(year)
    assert date(year, 1, 1) in national
    assert date(year, 8, 17) in national
    assert date(year, 12, 25) in national
    assert len(national) >= 15
    names = [h.name_id for h in holiday_calendar(year)]
    assert all(names)


def test_remaining_working_days_count_down_and_go_negative_when_overdue():
    due = add_working_days(wib(2026, 5, 13), 3)  # Tuesday 19 May
    assert working_days_remaining(wib(2026, 5, 13), due) == 3
    assert working_days_remaining(wib(2026, 5, 16), due) == 2  # Saturday: Mon, Tue left
    assert working_days_remaining(wib(2026, 5, 19), due) == 0
    assert working_days_remaining(wib(2026, 5, 21), due) == -2
