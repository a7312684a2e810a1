"""How the message bus splits one poll into units of work (pure: no broker or database;
notify's subscriber against the real ones is in tests/integration/test_notify_*.py and
tests/e2e/test_notify_crash.py)."""

from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord

from shared.events import AccountContactsChanged, Event, StatusChanged, encode
from shared.messagebus import Batched, MessageBus
from shared.topics import Topics
from shared.unit_of_work import Source
from tests.notify_receivers import contacts_changed, status_changed

TOPICS = Topics()


def record(event: Event | None, offset: int, topic: str | None = None) -> ConsumerRecord:
    """The event as read from its own topic (``topic`` when given)."""
    value = encode(event) if event is not None else b"not an event"
    own = TOPICS.accounts if isinstance(event, AccountContactsChanged) else TOPICS.status
    return ConsumerRecord(
        topic=topic or own, partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=None, value=value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(value), headers=(),
    )  # fmt: skip


class FakeUnitOfWork:
    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources


class FakeUnits:
    """Makes units of work that only know where their events were read."""

    def __call__(self, sources: Sequence[tuple[str, Source]] = ()) -> FakeUnitOfWork:
        return FakeUnitOfWork(dict(sources))


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, record: ConsumerRecord, reason: str, *, category: str, **_: Any) -> None:
        self.sent.append((record.offset, category))


class Handlers:
    """Status changes taken in runs, contacts changes one at a time; every call logged
    as (what, the subjects or citizen, the offsets its unit of work knows)."""

    def __init__(self, fail_runs: bool = False, failing: str | None = None) -> None:
        self.calls: list[tuple[str, list[str], list[int]]] = []
        self.fail_runs = fail_runs
        self.failing = failing

    async def status_changes(self, events: Sequence[StatusChanged], uow: FakeUnitOfWork) -> None:
        if self.fail_runs and len(events) > 1:
            raise RuntimeError("transaction aborted")
        if any(event.subject == self.failing for event in events):
            raise KeyError("a bug")
        offsets = sorted(source.offset for source in uow.sources.values())
        self.calls.append(("notify", [event.subject for event in events], offsets))

    async def contacts_changed(self, event: AccountContactsChanged, uow: FakeUnitOfWork) -> None:
        offsets = [source.offset for source in uow.sources.values()]
        self.calls.append(("contacts", [event.data.citizen_id], offsets))


def bus(handlers: Handlers, dead_letters: FakeDeadLetters) -> MessageBus:
    return MessageBus(
        {
            StatusChanged: Batched(handlers.status_changes),  # type: ignore[arg-type]
            AccountContactsChanged: handlers.contacts_changed,
        },
        units=FakeUnits(),  # type: ignore[arg-type]
        dead_letters=dead_letters,  # type: ignore[arg-type]
        declared=TOPICS.declared_types,
        attempts=3,
        backoff_seconds=0,
    )


def poll() -> list[ConsumerRecord]:
    return [
        record(status_changed("app-00000001", 1, "routed", "ani"), 0),
        record(status_changed("app-00000002", 1, "routed", "budi"), 1),
        record(contacts_changed("ani", channels=["email"], email="ani@example.org"), 2),
        record(status_changed("app-00000001", 2, "received", "ani"), 3),
        record(None, 4),
    ]


async def test_a_polls_status_changes_are_taken_together_and_a_contacts_change_splits_them():
    handlers, dead_letters = Handlers(), FakeDeadLetters()
    await bus(handlers, dead_letters)(poll())
    # The change read after ani's new contacts is notified after they are stored.
    assert handlers.calls == [
        ("notify", ["app-00000001", "app-00000002"], [0, 1]),
        ("contacts", ["ani"], [2]),
        ("notify", ["app-00000001"], [3]),
    ]


async def test_a_record_that_is_not_an_event_is_dead_lettered_at_once():
    handlers, dead_letters = Handlers(), FakeDeadLetters()
    await bus(handlers, dead_letters)(poll())
    assert dead_letters.sent == [(4, "invalid")]


async def test_when_a_run_fails_each_change_is_taken_on_its_own():
    handlers, dead_letters = Handlers(fail_runs=True), FakeDeadLetters()
    await bus(handlers, dead_letters)(poll())
    assert handlers.calls == [
        ("notify", ["app-00000001"], [0]),
        ("notify", ["app-00000002"], [1]),
        ("contacts", ["ani"], [2]),
        ("notify", ["app-00000001"], [3]),
    ]
    assert dead_letters.sent == [(4, "invalid")]


async def test_one_bad_change_in_a_run_gets_its_retries_and_dead_letter_while_the_others_pass():
    handlers, dead_letters = Handlers(failing="app-00000002"), FakeDeadLetters()
    await bus(handlers, dead_letters)(poll())
    assert handlers.calls == [
        ("notify", ["app-00000001"], [0]),
        ("contacts", ["ani"], [2]),
        ("notify", ["app-00000001"], [3]),
    ]
    assert dead_letters.sent == [(4, "invalid"), (1, "handler-failed")]


async def test_the_same_event_twice_in_a_poll_is_taken_once():
    handlers, dead_letters = Handlers(), FakeDeadLetters()
    change = status_changed("app-00000001", 1, "routed", "ani")
    await bus(handlers, dead_letters)([record(change, 0), record(change, 1)])
    assert handlers.calls == [("notify", ["app-00000001"], [0])]


async def test_an_event_read_on_a_topic_not_declared_for_its_type_is_dead_lettered_unread():
    """Anyone who may write to the status topic may put any type in a record's body; a
    contacts change is taken only from the accounts topic, where intake alone writes."""
    handlers, dead_letters = Handlers(), FakeDeadLetters()
    forged = contacts_changed("ani", channels=["email"], email="attacker@example.org")
    await bus(handlers, dead_letters)(
        [record(forged, 0, TOPICS.status), record(forged, 1, TOPICS.agency_updates("x"))]
    )
    assert handlers.calls == []
    assert dead_letters.sent == [(0, "unexpected-type"), (1, "unexpected-type")]
