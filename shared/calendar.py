"""The SLA calendar: working days in Indonesia.

A service standard promises completion in *working days*: Saturdays, Sundays and the
national holidays do not count. The holidays come from one data file per year
(``catalogue/data/holidays-<year>.json``), transcribed from the joint decree of three
ministers (SKB 3 Menteri) on national holidays and collective leave.

Collective leave days (*cuti bersama*) are in the files too, marked ``cuti_bersama``,
but they are working days for the SLA: public-service units keep serving on them
(officers take the leave in turns), so the promise to the citizen does not move. A
year without a file counts only weekends; a file marked ``provisional`` holds expected
dates until that year's decree is published.

The due date is the end of the last working day, in Western Indonesia Time (WIB).
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = [
    "WIB",
    "Holiday",
    "add_working_days",
    "holiday_calendar",
    "holidays",
    "is_working_day",
    "working_days_remaining",
]

WIB = timezone(timedelta(hours=7), "WIB")
_DATA = Path(__file__).parent / "catalogue" / "data"


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    kind: Literal["national", "cuti_bersama"]
    name_id: str
    name_en: str


@lru_cache(maxsize=16)
def holiday_calendar(year: int) -> tuple[Holiday, ...]:
    """Every entry of the year's file (national holidays and collective leave)."""
    path = _DATA / f"holidays-{year}.json"
    if not path.exists():
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


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The due time ``days`` working days after ``start`` (the start day itself not counted)."""
    day = start.astimezone(WIB).date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, time(23, 59, 59), WIB).astimezone(UTC)


def working_days_remaining(now: datetime, due: datetime) -> int:
    """Working days left before ``due``, today not counted; negative once overdue.

    Shown in the citizen's timeline ("3 hari kerja lagi") and the agency's work list.
    """
    today = now.astimezone(WIB).date()
    due_day = due.astimezone(WIB).date()
    if due_day == today:
        return 0
    step = 1 if due_day > today else -1
    count, day = 0, today
    while day != due_day:
        day += timedelta(days=step)
        if is_working_day(day):
            count += step
    return count
