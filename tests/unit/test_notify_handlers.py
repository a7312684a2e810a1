"""Notify's handlers with a fake unit of work and fake stores (no broker or database):
what each event writes and raises. The same against the real servers is in
tests/integration/test_notify_*.py and tests/e2e/test_notify_crash.py."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.notify.contacts import Contacts
from services.notify.delivery_store import DeliveryStore
from services.notify.handlers import (
    NotifyHandlers,
    handlers,
    on_contacts_changed,
    on_data_right,
)
from services.notify.inbox import InboxStore
from services.notify.notices import Notices
from services.notify.unit_of_work import NotifyStores
from shared.errors import Rejected
from shared.events import (
    AccountCodeData,
    AccountCodeIssued,
    AccountFrozen,
    AccountFrozenData,
    CancellationRefused,
    ContactsData,
    DataRightData,
    DataRightExercised,
    EscalationData,
    Event,
    NikVerified,
    NotificationStatusChanged,
    SlaBreached,
    StatusChanged,
    StatusChangedData,
    utcnow,
)
from shared.messagebus import Batched
from shared.topics import Topics
from shared.unit_of_work import Transaction
from tests.notify_receivers import contacts_changed, status_changed

TOPICS = Topics("test")


class FakeUnitOfWork:
    """Runs the work once with no session, keeping what it raised; its stores are those
    given (none: a handler that reaches one fails)."""

    def __init__(self, stores: NotifyStores | None = None) -> None:
        self.emitted: list[tuple[str, Event]] = []
        self.runs = 0
        if stores is not None:
            self.notices, self.deliveries = stores.notices, stores.deliveries
            self.contacts, self.devices = stores.contacts, stores.devices
            self.surveys = stores.surveys

    async def run(self, work: Callable[[Transaction], Awaitable[Any]]) -> Any:
        tx = Transaction(None)  # type: ignore[arg-type]
        result = await work(tx)
        self.runs += 1
        self.emitted += tx.raised
        return result


class FakeCursor:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self._documents = documents

    async def to_list(self, _length: int | None) -> list[dict[str, Any]]:
        return self._documents


class FakeCollection:
    """Just enough of a collection for notices: look up by ``_id``, insert."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def find(self, query: dict[str, Any], _projection: Any = None, **_: Any) -> FakeCursor:
        wanted = query["_id"]["$in"]
        return FakeCursor([{"_id": i} for i in wanted if i in self.documents])

    async def insert_many(self, documents: list[dict[str, Any]], **_: Any) -> None:
        """All or nothing, as inside the transaction it runs in."""
        if any(document["_id"] in self.documents for document in documents):
            raise DuplicateKeyError("E11000 duplicate key")
        for document in documents:
            self.documents[document["_id"]] = document


class FakeDatabase(dict):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]


class FakeContacts:
    def __init__(self, **known: Contacts) -> None:
        self.known = known
        self.applied: list[ContactsData] = []
        self.erased: list[str] = []

    async def get_many(self, citizen_ids: Sequence[str]) -> dict[str, Contacts]:
        return {c: self.known.get(c, Contacts(citizen_id=c)) for c in citizen_ids}

    async def apply(self, data: ContactsData) -> bool:
        self.applied.append(data)
        return True

    async def erase(self, citizen_id: str) -> None:
        self.erased.append(citizen_id)


class FakeSurveys:
    def __init__(self) -> None:
        self.invited: list[str] = []

    async def invite(self, change: StatusChangedData, _session: Any) -> None:
        self.invited.append(change.application_id)


class FakeCodes:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_code(self, event: AccountCodeIssued) -> None:
        self.sent.append(f"code {event.id}")

    async def send_frozen_notice(self, event: AccountFrozen) -> None:
        self.sent.append(f"frozen {event.id}")


class Notify:
    """Real notices and stores over a fake database; fake contacts and surveys; counts
    the dispatcher's wake-ups."""

    def __init__(self, **known: Contacts) -> None:
        self.db = FakeDatabase()
        self.contacts = FakeContacts(**known)
        self.surveys = FakeSurveys()
        self.wakes = 0
        self.notices = Notices(topics=TOPICS, wake_dispatcher=self.wake)
        self.handle = NotifyHandlers(self.notices, FakeCodes())  # type: ignore[arg-type]
        self.stores = NotifyStores(
            notices=InboxStore(self.db),  # type: ignore[arg-type]
            deliveries=DeliveryStore(self.db),  # type: ignore[arg-type]
            contacts=self.contacts,  # type: ignore[arg-type]
            devices=None,
            surveys=self.surveys,  # type: ignore[arg-type]
        )

    def wake(self) -> None:
        self.wakes += 1

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.stores)


def statuses(uow: FakeUnitOfWork) -> list[tuple[str, str]]:
    """(channel, status) of every notification event raised."""
    events = [event for _, event in uow.emitted]
    assert all(isinstance(event, NotificationStatusChanged) for event in events)
    return [(event.data.channel, event.data.status) for event in events]  # type: ignore[attr-defined]


def escalation(escalate_to: list[str], agency: str = "disdukcapil-3576") -> SlaBreached:
    return SlaBreached(
        source="routing",
        subject="app-00000001",
        region="3576",
        correlation_id="corr-app-00000001",
        data=EscalationData(
            application_id="app-00000001",
            tracking_number="3576-000001",
            service="ktp-el",
            region="3576",
            agency=agency,
            status="in_review",
            escalate_to=escalate_to,
            reason="SLA terlampaui / SLA breached",
        ),
    )


async def test_a_status_change_becomes_an_in_app_notice_and_a_delivery_on_the_chosen_channel():
    ani = Contacts(citizen_id="ani", channels=("in_app", "email"), email="ani@example.org")
    notify = Notify(ani=ani)
    uow = notify.uow()
    await notify.handle.on_status_changes(
        [status_changed("app-00000001", 1, "routed", "ani")],
        uow,  # type: ignore[arg-type]
    )
    assert len(notify.db["notifications"].documents) == 1
    assert list(notify.db["deliveries"].documents) == ["app-00000001:1:email"]
    assert statuses(uow) == [("in_app", "delivered"), ("email", "created")]
    assert {topic for topic, _ in uow.emitted} == {TOPICS.notifications}
    assert notify.wakes == 1  # the dispatcher sends the email now, not at its next poll


async def test_a_runs_status_changes_are_notified_in_one_unit_of_work():
    notify = Notify()
    uow = notify.uow()
    run = [
        status_changed("app-00000001", 1, "routed", "ani"),
        status_changed("app-00000002", 1, "routed", "budi"),
    ]
    await notify.handle.on_status_changes(run, uow)  # type: ignore[arg-type]
    assert uow.runs == 1
    assert len(notify.db["notifications"].documents) == 2
    assert statuses(uow) == [("in_app", "delivered"), ("in_app", "delivered")]
    assert notify.wakes == 0  # in the app only: nothing for the dispatcher


async def test_a_redelivered_status_change_writes_and_raises_nothing():
    notify = Notify()
    change = status_changed("app-00000001", 1, "routed", "ani")
    await notify.handle.on_status_changes([change], notify.uow())  # type: ignore[arg-type]
    again = notify.uow()
    await notify.handle.on_status_changes([change, change], again)  # type: ignore[arg-type]
    assert again.emitted == []
    assert len(notify.db["notifications"].documents) == 1


async def test_a_completed_application_invites_its_citizen_to_the_survey():
    notify = Notify()
    change = status_changed("app-00000001", 8, "completed", "ani")
    await notify.handle.on_status_changes([change], notify.uow())  # type: ignore[arg-type]
    assert notify.surveys.invited == ["app-00000001"]


async def test_an_application_without_an_account_tells_nobody():
    notify = Notify()
    uow = notify.uow()
    change = status_changed("app-00000001", 1, "routed", "ani", citizen_id=None)
    await notify.handle.on_status_changes([change], uow)  # type: ignore[arg-type]
    assert uow.runs == 0


class RacedNotices:
    """Another process stored the notice between the look and the insert."""

    async def notify(self, events: Sequence[StatusChanged], uow: Any) -> None:
        raise DuplicateKeyError("E11000 duplicate key")


async def test_a_status_change_notified_meanwhile_by_another_process_is_done():
    change = status_changed("app-00000001", 1, "routed", "ani")
    await NotifyHandlers(RacedNotices(), FakeCodes()).on_status_changes([change], FakeUnitOfWork())  # type: ignore[arg-type]


async def test_a_run_with_a_change_notified_meanwhile_fails_so_the_bus_takes_it_one_at_a_time():
    run = [
        status_changed("app-00000001", 1, "routed", "ani"),
        status_changed("app-00000002", 1, "routed", "budi"),
    ]
    with pytest.raises(DuplicateKeyError):
        await NotifyHandlers(RacedNotices(), FakeCodes()).on_status_changes(run, FakeUnitOfWork())  # type: ignore[arg-type]


async def test_an_escalation_is_one_email_delivery_to_each_supervisor_once():
    notify = Notify()
    uow = notify.uow()
    breach = escalation(["kepala@example.go.id", "wakil@example.go.id", "kepala@example.go.id"])
    await notify.handle.on_escalation(breach, uow)  # type: ignore[arg-type]
    assert sorted(notify.db["deliveries"].documents) == [f"{breach.id}:1", f"{breach.id}:2"]
    assert statuses(uow) == [("email", "created"), ("email", "created")]
    assert notify.wakes == 1
    again = notify.uow()
    await notify.handle.on_escalation(breach, again)  # type: ignore[arg-type]
    assert again.emitted == []
    assert notify.wakes == 1


async def test_an_escalation_with_no_supervisor_address_is_refused():
    notify = Notify()
    with pytest.raises(Rejected):
        await notify.handle.on_escalation(escalation([], agency="nowhere"), notify.uow())  # type: ignore[arg-type]


async def test_a_contacts_change_is_applied_to_notifys_projection():
    notify = Notify()
    contacts = notify.contacts
    change = contacts_changed("ani", 2, channels=["email"], email="ani@example.org")
    await on_contacts_changed(change, notify.uow())  # type: ignore[arg-type]
    assert contacts.applied == [change.data]


async def test_an_erasure_forgets_the_contacts_and_push_devices_and_an_export_does_not():
    contacts, devices = FakeContacts(), FakeContacts()
    stores = NotifyStores(None, None, contacts, devices, None)  # type: ignore[arg-type]
    for right in ("access", "erasure"):
        event = DataRightExercised(
            source="intake",
            subject="ani",
            correlation_id="corr",
            data=DataRightData(citizen_id="ani", right=right),  # type: ignore[arg-type]
        )
        await on_data_right(event, FakeUnitOfWork(stores))  # type: ignore[arg-type]
    assert contacts.erased == ["ani"]
    assert devices.erased == ["ani"]


async def test_codes_and_frozen_accounts_go_to_the_code_sender():
    codes = FakeCodes()
    frozen = AccountFrozen(
        source="intake",
        subject="ani",
        correlation_id="corr",
        data=AccountFrozenData(citizen_id="ani", proven_by="budi"),
    )
    code = AccountCodeIssued(
        source="intake",
        subject="ani",
        correlation_id="corr",
        data=AccountCodeData(
            citizen_id="ani",
            purpose="password_reset",
            channel="email",
            address="sealed address",
            sealed_code="sealed code",
            expires_at=utcnow() + timedelta(minutes=10),
        ),
    )
    handle = NotifyHandlers(Notify().notices, codes)  # type: ignore[arg-type]
    await handle.on_code_issued(code, FakeUnitOfWork())  # type: ignore[arg-type]
    await handle.on_account_frozen(frozen, FakeUnitOfWork())  # type: ignore[arg-type]
    assert codes.sent == [f"code {code.id}", f"frozen {frozen.id}"]


def test_status_changes_are_taken_in_runs_and_every_event_notify_reads_has_a_handler():
    table = handlers(Notify().notices, FakeCodes())  # type: ignore[arg-type]
    assert isinstance(table[StatusChanged], Batched)
    assert {NikVerified, CancellationRefused, AccountCodeIssued} <= set(table)
