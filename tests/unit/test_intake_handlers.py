"""Intake's command handlers — submitting, cancelling, answering a request for
information — with a fake unit of work and fake stores: no broker, no database.

The fake unit of work runs the work with a transaction whose session is None and keeps
what it raised; the fake repository keeps applications in a dict. Together they show
what a handler writes and announces, and what it refuses."""

import asyncio
import copy
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.intake.applications import NewApplication, stored_document
from services.intake.citizen_actions import (
    ProvideInformation,
    RequestCancellation,
    provide_information,
    request_cancellation,
)
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import IdempotencyStore
from services.intake.refusals import problem_for
from services.intake.submissions import Submit, submit
from shared.catalogue import load_catalogue
from shared.errors import Rejected
from shared.events import ApplicationSubmitted, CancellationRequested, Event, InformationProvided
from shared.privacy.personal import Personal, is_sealed
from shared.problems import Problem
from shared.topics import Topics
from shared.unit_of_work import Transaction
from tests.unit.test_privacy_sealing import MemoryVault

TOPICS = Topics("handlers")
CATALOGUE = load_catalogue()
CITIZEN = "citizen-1"


class FakeUnitOfWork:
    """Runs work in a fake transaction: the events of work that completes are kept;
    work that fails leaves the fake stores as they were (a rollback). Like intake's unit
    of work, it names what a handler reaches through it (``uow.applications`` …)."""

    def __init__(self, *stores: Any, **named: Any) -> None:
        self.stores = stores
        for name, value in named.items():
            setattr(self, name, value)
        self.runs = 0
        self.emitted: list[tuple[str, Event]] = []

    def __call__(self) -> "FakeUnitOfWork":  # as UnitsOfWork makes one
        return self

    async def run(self, work: Any) -> Any:
        self.runs += 1
        before = [copy.deepcopy(store.stored) for store in self.stores]
        tx = Transaction(session=None)  # type: ignore[arg-type]
        try:
            result = await work(tx)
        except BaseException:
            for store, stored in zip(self.stores, before, strict=True):
                store.stored = stored
            raise
        self.emitted += tx.raised
        return result

    def events(self) -> list[Event]:
        return [event for _, event in self.emitted]


def _duplicate() -> BulkWriteError:
    return BulkWriteError({"writeErrors": [{"code": 11000, "errmsg": "duplicate key"}]})


class FakeApplications:
    """The repository's interface over a dict."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.answer_races = False

    async def add(self, applications: list[tuple[NewApplication, str]], session: Any) -> None:
        documents = [stored_document(new, number) for new, number in applications]
        numbers = {d["tracking_number"] for d in self.stored.values()}
        if any(d["_id"] in self.stored or d["tracking_number"] in numbers for d in documents):
            raise _duplicate()
        self.stored |= {document["_id"]: document for document in documents}

    async def citizens(self, application_id: str, citizen_id: str) -> dict[str, Any] | None:
        found = self.stored.get(application_id)
        return found if found is not None and found["citizen_id"] == citizen_id else None

    async def note_cancellation_request(
        self, application_id: str, reason: str | None, session: Any
    ) -> bool:
        found = self.stored[application_id]
        if found["cancellation_requested_at"] is not None:
            return False
        found |= {"cancellation_requested_at": datetime.now(UTC), "cancellation_reason": reason}
        return True

    async def add_response(
        self, application_id: str, *, answered_before: int, form: dict[str, Any], **answer: Any
    ) -> bool:
        found = self.stored[application_id]
        if self.answer_races or len(found["responses"]) != answered_before:
            return False
        found["form"] = form
        found["responses"].append({k: v for k, v in answer.items() if k != "session"})
        return True


class FakeKeys(IdempotencyStore):
    """Idempotency records in a dict (the record's shape is the real store's)."""

    def __init__(self) -> None:
        super().__init__({"idempotency_keys": None}, ttl_hours=1)  # type: ignore[arg-type]
        self.stored: dict[str, dict[str, Any]] = {}

    async def add(self, records: list[dict[str, Any]], session: Any) -> None:
        if any(record["_id"] in self.stored for record in records):
            raise _duplicate()
        self.stored |= {record["_id"]: record for record in records}


class FakeCounters:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.updates = 0

    async def take(self, counter: str, count: int) -> int:
        self.updates += 1
        last = self.counters.get(counter, 0)
        self.counters[counter] = last + count
        return last


class NoDocuments:
    async def resolve(self, owner: str, hashes: list[str]) -> list[Any]:
        return []


class Wired:
    def __init__(self) -> None:
        self.applications = FakeApplications()
        self.keys = FakeKeys()
        self.counters = FakeCounters()
        self.personal = Personal(MemoryVault())  # type: ignore[arg-type]
        self.uow = FakeUnitOfWork(
            self.applications,
            self.keys,
            applications=self.applications,
            documents=NoDocuments(),
            catalogue=CATALOGUE,
            topics=TOPICS,
            personal=self.personal,
        )
        self.commits = GroupCommit(
            self.uow,  # type: ignore[arg-type]
            self.counters,  # type: ignore[arg-type]
            self.applications,  # type: ignore[arg-type]
            TOPICS.submitted,
            keys=[self.keys],
        )

    def command(self, key: str | None = "k1", **changes: Any) -> Submit:
        remember = None
        if key is not None:
            remember = self.keys.remember(f"{CITIZEN}:{key}", "print", 202, "/apps/")
        fields: dict[str, Any] = {
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "channel": "web",
            "citizen_id": CITIZEN,
            "correlation_id": "corr-1",
            "remember": remember,
        }
        return Submit(**(fields | changes))

    async def submit(self, command: Submit) -> Any:
        return await answered(
            submit(command, catalogue=CATALOGUE, personal=self.personal, commits=self.commits)
        )

    async def stored(self, status: str = "submitted", **fields: Any) -> dict[str, Any]:
        accepted = await self.submit(self.command(key=None))
        document = self.applications.stored[accepted.id]
        document |= {"status": status, **fields}
        self.uow.emitted.clear()
        return document


async def answered(call: Awaitable[Any]) -> Any:
    """What the route answers: the handler's result, or its refusal as a problem."""
    try:
        return await call
    except Rejected as refusal:
        raise problem_for(refusal) from refusal


@pytest.fixture
def wired() -> Wired:
    return Wired()


async def test_a_submission_is_stored_with_its_tracking_number_key_record_and_event(wired):
    accepted = await wired.submit(wired.command())

    assert accepted.status == "submitted"
    assert accepted.tracking_number.startswith("3576-")
    assert accepted.tracking_number[-5:] == "-0001"
    document = wired.applications.stored[accepted.id]
    assert document["tracking_number"] == accepted.tracking_number
    assert document["status"] == "submitted"
    assert document["form"] == {"reason": "baru"}
    [(topic, event)] = wired.uow.emitted
    assert topic == TOPICS.submitted
    assert isinstance(event, ApplicationSubmitted)
    assert event.subject == accepted.id
    assert event.correlation_id == "corr-1"
    assert event.data.tracking_number == accepted.tracking_number
    record = wired.keys.stored[f"{CITIZEN}:k1"]
    assert record["status"] == 202
    assert record["location"] == f"/apps/{accepted.id}"
    assert record["body"]["tracking_number"] == accepted.tracking_number
    assert record["body"]["sla_due_at"].endswith("Z")  # as the 202 answer says it


async def test_concurrent_submissions_share_one_transaction_and_one_counter_update(wired):
    committers = asyncio.create_task(wired.commits.run())
    await asyncio.sleep(0)
    try:
        accepted = await asyncio.gather(
            *(wired.submit(wired.command(key=f"k{n}")) for n in range(5))
        )
    finally:
        committers.cancel()
    assert wired.uow.runs == 1
    assert wired.counters.updates == 1
    assert sorted(a.tracking_number[-4:] for a in accepted) == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
    ]
    assert len(wired.uow.emitted) == 5
    assert len(wired.keys.stored) == 5


async def test_a_key_already_stored_fails_the_submission_and_stores_nothing(wired):
    await wired.submit(wired.command())
    with pytest.raises(DuplicateKeyError):
        await wired.submit(wired.command())
    assert len(wired.applications.stored) == 1
    assert len(wired.uow.emitted) == 1


async def test_in_a_group_only_the_member_with_a_stored_key_fails(wired):
    await wired.submit(wired.command(key="taken"))
    committers = asyncio.create_task(wired.commits.run())
    await asyncio.sleep(0)
    try:
        outcomes = await asyncio.gather(
            wired.submit(wired.command(key="new-1")),
            wired.submit(wired.command(key="taken")),
            wired.submit(wired.command(key="new-2")),
            return_exceptions=True,
        )
    finally:
        committers.cancel()
    assert isinstance(outcomes[1], DuplicateKeyError)
    assert not isinstance(outcomes[0], Exception)
    assert not isinstance(outcomes[2], Exception)
    assert len(wired.applications.stored) == 3
    assert len(wired.uow.emitted) == 3


async def test_a_form_the_service_refuses_is_a_422_and_stores_nothing(wired):
    with pytest.raises(Problem) as refused:
        await wired.submit(wired.command(data={"reason": "bosan"}))
    assert refused.value.status == 422
    assert wired.applications.stored == {}
    assert wired.uow.emitted == []


async def test_a_captured_application_counts_its_sla_from_the_capture(wired):
    captured = datetime.now(UTC) - timedelta(days=30)  # 14 working days are fewer
    accepted = await wired.submit(wired.command(channel="mobile_unit", captured_at=captured))
    document = wired.applications.stored[accepted.id]
    assert document["captured_at"] == captured
    assert accepted.sla_due_at < document["submitted_at"]


def _cancel(application_id: str, citizen_id: str = CITIZEN) -> RequestCancellation:
    return RequestCancellation(application_id, citizen_id, "salah pilih", "corr-2")


async def test_a_cancellation_is_noted_and_announced_once(wired):
    application = await wired.stored("routed")
    for _ in range(2):
        status = await request_cancellation(_cancel(application["_id"]), wired.uow)  # type: ignore[arg-type]
        assert status == "routed"
    [(topic, event)] = wired.uow.emitted
    assert topic == TOPICS.citizen_actions
    assert isinstance(event, CancellationRequested)
    assert event.data.reason == "salah pilih"
    assert event.correlation_id == "corr-2"
    assert application["cancellation_reason"] == "salah pilih"


async def test_a_settled_application_cannot_be_cancelled(wired):
    application = await wired.stored("approved")
    with pytest.raises(Problem) as refused:
        await answered(
            request_cancellation(_cancel(application["_id"]), wired.uow)  # type: ignore[arg-type]
        )
    assert refused.value.status == 409
    assert refused.value.extensions["current_status"] == "approved"
    assert wired.uow.emitted == []


async def test_someone_elses_application_is_not_found(wired):
    application = await wired.stored("routed")
    with pytest.raises(Problem) as refused:
        await answered(
            request_cancellation(
                _cancel(application["_id"], citizen_id="someone-else"),
                wired.uow,  # type: ignore[arg-type]
            )
        )
    assert refused.value.status == 404


async def _answer(wired: Wired, application_id: str, data: dict[str, Any]) -> str:
    command = ProvideInformation(application_id, CITIZEN, data, "corr-3", note="sudah")
    return await answered(provide_information(command, wired.uow))  # type: ignore[arg-type]


async def test_an_answer_is_merged_into_the_form_and_announced(wired):
    application = await wired.stored("needs_info")
    status = await _answer(wired, application["_id"], {"family_card_number": "3576010101010001"})
    assert status == "needs_info"
    # The family card number is a personal field (the catalogue marks it): stored sealed.
    assert is_sealed(application["form"]["family_card_number"])
    assert await wired.personal.open_all(application["form"], CITIZEN) == {
        "reason": "baru",
        "family_card_number": "3576010101010001",
    }
    [(topic, event)] = wired.uow.emitted
    assert topic == TOPICS.citizen_actions
    assert isinstance(event, InformationProvided)
    assert "3576010101010001" not in str(event.data.form)
    assert await wired.personal.open_all(event.data.form, CITIZEN) == {
        "family_card_number": "3576010101010001"
    }
    assert event.data.note == "sudah"


async def test_an_answer_is_refused_unless_information_was_asked_for(wired):
    application = await wired.stored("routed")
    with pytest.raises(Problem) as refused:
        await _answer(wired, application["_id"], {"family_card_number": "3576010101010001"})
    assert refused.value.status == 409


async def test_an_empty_answer_or_a_form_the_service_refuses_is_a_422(wired):
    application = await wired.stored("needs_info")
    for data in ({}, {"family_card_number": "12"}):
        with pytest.raises(Problem) as refused:
            await _answer(wired, application["_id"], data)
        assert refused.value.status == 422
    assert application["responses"] == []
    assert wired.uow.emitted == []


async def test_an_answer_that_lost_a_race_is_a_409_and_announces_nothing(wired):
    application = await wired.stored("needs_info")
    wired.applications.answer_races = True
    with pytest.raises(Problem) as refused:
        await _answer(wired, application["_id"], {"family_card_number": "3576010101010001"})
    assert refused.value.status == 409
    assert wired.uow.emitted == []
