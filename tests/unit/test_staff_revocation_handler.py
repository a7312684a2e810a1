"""Routing's handler of identity's staff revocations, with a fake unit of work: no broker,
no database. A revocation on the staff topic is recorded as it says (a reset, or a
disabling); one read anywhere else is refused (the bus dead-letters it) and records
nothing. ``StaffRevocations.record`` keeps the latest moment and the first disabling, so
the same one twice changes nothing: ``mpp staff`` records each both ways, directly and
through the event (tests/integration/test_staff_administration.py)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from services.routing.handlers import ForeignRevocation, on_staff_access_revoked, staff_handlers
from shared.events import StaffAccessRevoked, StaffRevocationData, utcnow
from shared.topics import Topics
from shared.unit_of_work import Source

TOPICS = Topics("t")


class FakeRevocations:
    """What was asked of ``StaffRevocations.record``."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, datetime, bool]] = []

    async def record(self, username: str, at: datetime, *, disabled: bool) -> None:
        self.recorded.append((username, at, disabled))


def revoked(at: datetime, *, disabled: bool = True) -> StaffAccessRevoked:
    return StaffAccessRevoked(
        source="identity",
        subject="sari.dinkes",
        correlation_id="c-1",
        data=StaffRevocationData(
            username="sari.dinkes",
            role="officer",
            agency="dinkes-3576",
            tokens_valid_after=at,
            disabled=disabled,
            by="admin.mojokerto",
        ),
    )


def unit_of_work(topic: str, revocations: FakeRevocations) -> SimpleNamespace:
    return SimpleNamespace(
        topics=TOPICS,
        revocations=revocations,
        source=lambda event: Source(topic, 0, 0, event.subject.encode()),
    )


def test_the_staff_topic_is_routings_only_source_of_revocations():
    assert staff_handlers() == {StaffAccessRevoked: on_staff_access_revoked}
    assert TOPICS.declared_types(TOPICS.staff) == {"staff.access_revoked"}
    assert "staff.access_revoked" not in TOPICS.declared_types(TOPICS.accounts)


async def test_a_reset_and_a_disabling_on_the_staff_topic_are_recorded_as_they_say():
    revocations = FakeRevocations()
    uow = unit_of_work(TOPICS.staff, revocations)
    reset, disabled = utcnow(), utcnow() + timedelta(minutes=5)
    await on_staff_access_revoked(revoked(reset, disabled=False), uow)
    await on_staff_access_revoked(revoked(disabled), uow)
    assert revocations.recorded == [
        ("sari.dinkes", reset, False),
        ("sari.dinkes", disabled, True),
    ]


@pytest.mark.parametrize("kind", ["accounts", "agency_updates", "status"])
async def test_a_revocation_read_on_another_topic_is_refused_and_records_nothing(kind):
    revocations = FakeRevocations()
    topic = TOPICS.agency_updates("siak") if kind == "agency_updates" else getattr(TOPICS, kind)
    with pytest.raises(ForeignRevocation):
        await on_staff_access_revoked(revoked(utcnow()), unit_of_work(topic, revocations))
    assert revocations.recorded == []
