"""The queue's clock: what "now" is for a booking's check-in window, a walk-in's slot,
the release of a late booking (intake) and a booking's reminders (notify).

It is the real time, unless a test in the same process moves it
(:attr:`QueueClock.moved_to`), or a rehearsal of the building's day names a file
holding the moment (``MPP_QUEUE_CLOCK_FILE``): then every process given that file
shows the moment the file holds, so a journey through several running services —
book, be reminded, check in, be released — is played in seconds instead of a day.
A file missing, empty or unreadable gives the real time.
"""

from datetime import datetime
from pathlib import Path

from shared.events import utcnow

__all__ = ["QueueClock"]


class QueueClock:
    """The real time, the moment a test moved it to, or the moment a file holds."""

    def __init__(self, file: Path | None = None) -> None:
        self.moved_to: datetime | None = None
        self.file = file

    def now(self) -> datetime:
        return self.moved_to or self._from_file() or utcnow()

    def _from_file(self) -> datetime | None:
        if self.file is None:
            return None
        try:
            moment = datetime.fromisoformat(self.file.read_text().strip())
        except (OSError, ValueError):
            return None
        return moment if moment.tzinfo is not None else None  # a moment without its offset
