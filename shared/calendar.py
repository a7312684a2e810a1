"""The SLA calendar: working days in Indonesia, in each region's time zone.

A service standard promises completion in *working days*: Saturdays, Sundays, the
national holidays and the region's own days off do not count. The national holidays come
from one data file per year (``catalogue/data/holidays-<year>.json``), transcribed from
the joint decree of three ministers (SKB 3 Menteri) on national holidays and collective
leave, and checked in a test against the ``holidays`` package's Indonesian calendar
(``tests/unit/test_holiday_sources.py``). A region's own days (a regional holiday, its own
collective leave) come from its catalogue entry (``Region.holidays``) and count in that
region only.

Collective leave days (*cuti bersama*) are in the files too, marked ``cuti_bersama``,
but they are working days for the SLA: public-service units keep serving on them
(officers take the leave in turns), so the promise to the citizen does not move. A file
marked ``provisional`` holds expected dates until that year's decree is published. A
year without a file is a fault the platform says out loud (:func:`missing_years`: a
start-up warning, the ``mpp_holiday_calendar_missing`` gauge and its alert, and a warning
the first time the arithmetic reaches that year); until a file is added such a year
counts weekends only.

The due date is the end (23:59:59) of the last working day in the region's zone: WIB,
WITA or WIT (``shared.i18n.zones``), so a Makassar application is due at 23:59:59 WITA,
not at midnight Jakarta time. :class:`WorkingCalendar` is one region's calendar
(``Catalogue.calendar_for``); the module's functions are the national calendar in WIB,
for callers with no region.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

import structlog

from shared.i18n.zones import WIB

__all__ = [
    "NATIONAL",
    "WIB",
    "Holiday",
    "WorkingCalendar",
    "add_working_days",
    "has_calendar",
    "holiday_calendar",
    "holidays",
    "is_working_day",
    "missing_years",
    "warn_if_missing",
    "working_days_remaining",
]

log = structlog.get_logger(__name__)

_DATA = Path(__file__).parent / "catalogue" / "data"


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    kind: Literal["national", "cuti_bersama"]
    name_id: str
    name_en: str


def _path(year: int) -> Path:
    return _DATA / f"holidays-{year}.json"


def has_calendar(year: int) -> bool:
    """Whether ``year`` has its holiday file (decreed or provisional)."""
    return _path(year).exists()


@lru_cache(maxsize=16)
def holiday_calendar(year: int) -> tuple[Holiday, ...]:
    """Every entry of the year's file (national holidays and collective leave).

    A year without a file is logged as a warning once (this is cached per year): the SLA
    arithmetic then counts weekends only, which moves due dates earlier than promised."""
    path = _path(year)
    if not path.exists():
        log.warning(
            "no holiday calendar for this year: working days count weekends only",
            year=year,
            expected=f"shared/catalogue/data/{path.name}",
        )
        return ()
    entries = json.loads(path.read_text(encoding="utf-8"))["holidays"]
    return tuple(
        Holiday(
            day=date.fromisoformat(entry["date"]),
            kind=entry["kind"],
            name_id=entry["name"]["id"],
            name_en=entry["name"]["en"],
        )
        for entry in entries
    )


@lru_cache(maxsize=16)
def holidays(year: int) -> frozenset[date]:
    """The national holidays of ``year``: the days the SLA clock does not count."""
    return frozenset(h.day for h in holiday_calendar(year) if h.kind == "national")


def missing_years(today: date | None = None) -> tuple[int, ...]:
    """This year and next, those without a holiday file. Next year is included so the
    gap is seen while there is still time to add the file: an SLA started in December
    already ends in January."""
    year = (today or datetime.now(UTC).date()).year
    return tuple(y for y in (year, year + 1) if not has_calendar(y))


def warn_if_missing(today: date | None = None) -> tuple[int, ...]:
    """Log a warning naming the years in use without a holiday file (at start-up)."""
    missing = missing_years(today)
    if missing:
        log.warning(
            "holiday calendar missing: add shared/catalogue/data/holidays-<year>.json "
            "(the decree's dates, or provisional ones) before the year is used",
            years=list(missing),
        )
    return missing


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """One region's working days: weekends, the national holidays and the region's own
    ``days_off`` skipped; due dates end at 23:59:59 in the region's ``zone``."""

    zone: tzinfo = WIB
    days_off: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in holidays(day.year) and day not in self.days_off

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The due time ``days`` working days after ``start`` (the start day itself, in
        the region's zone, not counted), as a UTC time."""
        day = start.astimezone(self.zone).date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, time(23, 59, 59), self.zone).astimezone(UTC)

    def working_days_remaining(self, now: datetime, due: datetime) -> int:
        """Working days left before ``due``, today not counted; negative once overdue.

        Shown in the citizen's timeline ("3 hari kerja lagi") and the agency's work list;
        "today" is the region's today."""
        today = now.astimezone(self.zone).date()
        due_day = due.astimezone(self.zone).date()
        if due_day == today:
            return 0
        step = 1 if due_day > today else -1
        count, day = 0, today
        while day != due_day:
            day += timedelta(days=step)
            if self.is_working_day(day):
                count += step
        return count


NATIONAL = WorkingCalendar()
"""The national calendar in WIB: for an application whose region is unknown."""


def is_working_day(day: date) -> bool:
    return NATIONAL.is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The due time ``days`` working days after ``start`` in the national calendar (WIB)."""
    return NATIONAL.add_working_days(start, days)


def working_days_remaining(now: datetime, due: datetime) -> int:
    """Working days left before ``due`` in the national calendar (WIB)."""
    return NATIONAL.working_days_remaining(now, due)
