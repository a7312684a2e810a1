"""How notify's subscriber splits one poll into transactions (pure: no broker or
database; the behaviour against the real ones is in tests/integration/test_notify_*.py
and tests/e2e/test_notify_crash.py)."""

from aiokafka import ConsumerRecord

from services.notify.batching import StatusBatches
from shared.events import Event, StatusChanged, encode
from tests.notify_receivers import contacts_changed, status_changed


def record(event: Event | None, offset: int) -> ConsumerRecord:
    value = encode(event) if event is not None else b"not an event"
    return ConsumerRecord(
        topic="t", partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=None, value=value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(value), headers=(),
    )  # fmt: skip


class Notices:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    async def notify_batch(self, events: list[StatusChanged]) -> None:
        if self.fail:
            raise RuntimeError("transaction aborted")
        self.batches.append([event.subject for event in events])


class Processor:
    def __init__(self) -> None:
        self.processed: list[int] = []

    async def process(self, record: ConsumerRecord) -> None:
        self.processed.append(record.offset)


def poll() -> list[ConsumerRecord]:
    return [
        record(status_changed("app-00000001", 1, "routed", "ani"), 0),
        record(status_changed("app-00000002", 1, "routed", "budi"), 1),
        record(contacts_changed("ani", channels=["email"], email="ani@example.org"), 2),
        record(status_changed("app-00000001", 2, "received", "ani"), 3),
        record(None, 4),
    ]


async def test_a_polls_status_changes_are_notified_together_and_a_contacts_change_splits_them():
    notices, processor = Notices(), Processor()
    await StatusBatches(notices, processor)(poll())  # type: ignore[arg-type]
    # The change read after ani's new contacts is notified after they are stored.
    assert notices.batches == [["app-00000001", "app-00000002"], ["app-00000001"]]
    assert processor.processed == [2, 4]  # the contacts change, then the unreadable record


async def test_when_a_batch_fails_each_change_is_handled_on_its_own_with_the_usual_retries():
    notices, processor = Notices(fail=True), Processor()
    await StatusBatches(notices, processor)(poll())  # type: ignore[arg-type]
    assert processor.processed == [0, 1, 2, 3, 4]
