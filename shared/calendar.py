"""The SLA calendar: working days in Indonesia.

A service standard promises completion in *working days*: Saturdays, Sundays and the
national holidays (``catalogue/data/holidays-<year>.json``, when present) do not count.
The due date is the end of the last working day, in Western Indonesia Time (WIB).
"""

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path

__all__ = ["WIB", "add_working_days", "holidays", "is_working_day"]

WIB = timezone(timedelta(hours=7), "WIB")
_DATA = Path(__file__).parent / "catalogue" / "data"


@lru_cache(maxsize=8)
def holidays(year: int) -> frozenset[date]:
    path = _DATA / f"holidays-{year}.json"
    if not path.exists():
        return frozenset()
    entries = json.loads(path.read_text(encoding="utf-8"))["holidays"]
    return frozenset(date.fromisoformat(entry["date"]) for entry in entries)


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
