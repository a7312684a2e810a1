"""The SP4N-LAPOR! timeline's rules, pure: due times in the region's working days and
zone, and what a sweep owes a complaint at a given moment."""

from datetime import UTC, date, datetime, timedelta

from services.routing.complaints.timeline import answer_due, close_due, forward_due, overdue
from shared.calendar import WorkingCalendar
from shared.i18n.zones import WIB, WITA

JAKARTA = WorkingCalendar(WIB)
MAKASSAR = WorkingCalendar(WITA, days_off=frozenset({date(2026, 12, 28)}))


def test_forwarding_is_due_three_working_days_on_skipping_christmas_and_the_weekend():
    filed = datetime(2026, 12, 23, 10, 0, tzinfo=WIB)
    assert forward_due(JAKARTA, filed) == datetime(2026, 12, 29, 23, 59, 59, tzinfo=WIB)
    assert answer_due(JAKARTA, filed) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=WIB)


def test_a_regions_own_day_off_and_zone_move_the_due_time():
    # 23:30 WIB on Wednesday is already Thursday 00:30 in Makassar: Thursday is the start
    # day there, not counted; then Christmas, the weekend and Makassar's own day off
    # (28 December) are skipped: 29, 30 and 31 December.
    filed = datetime(2026, 12, 23, 23, 30, tzinfo=WIB)
    assert forward_due(MAKASSAR, filed) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=WITA)
    assert forward_due(JAKARTA, filed) == datetime(2026, 12, 29, 23, 59, 59, tzinfo=WIB)


def test_closing_counts_ten_working_days_past_new_year_and_the_january_holiday():
    answered = datetime(2027, 1, 4, 9, 0, tzinfo=WIB)
    assert close_due(JAKARTA, answered) == datetime(2027, 1, 19, 23, 59, 59, tzinfo=WIB)


def complaint(**fields) -> dict:
    due = datetime(2026, 12, 29, 16, 59, 59, tzinfo=UTC)
    return {
        "state": "filed",
        "forwarded_at": None,
        "forward_due_at": due,
        "answer_due_at": due + timedelta(days=2),
        "close_due_at": None,
        "escalated": [],
        **fields,
    }


def test_each_overdue_step_is_owed_once_and_a_closed_complaint_owes_nothing():
    due = datetime(2026, 12, 29, 16, 59, 59, tzinfo=UTC)
    second = timedelta(seconds=1)
    assert overdue(complaint(), due) == []
    assert overdue(complaint(), due + second) == ["forward"]
    assert overdue(complaint(escalated=["forward"]), due + second) == []
    assert overdue(complaint(forwarded_at=due), due + second) == []
    late = due + timedelta(days=3)
    assert overdue(complaint(escalated=["forward"]), late) == ["answer"]
    assert overdue(complaint(state="closed"), late) == []


def test_an_answer_left_without_a_reply_is_owed_closing_after_its_due_time():
    close = datetime(2027, 1, 19, 16, 59, 59, tzinfo=UTC)
    answered = complaint(state="answered", forwarded_at=close, close_due_at=close)
    assert overdue(answered, close) == []
    assert overdue(answered, close + timedelta(seconds=1)) == ["close"]
