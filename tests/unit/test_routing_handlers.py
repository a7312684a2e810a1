"""Routing's handlers, each with a fake unit of work and a fake store of applications: no
broker, no database. Which event reaches which handler, what each writes and raises, and
what each refuses (the bus dead-letters a refusal at once)."""

import copy
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from pymongo.errors import DuplicateKeyError

from services.routing.handlers import ForeignReport, change_handlers, submission_handlers
from services.routing.parts import RoutingStores, WorkParts
from services.routing.seen import SeenEvents, seen_id
from services.routing.workflow import UnknownApplication
from shared.catalogue import load_catalogue
from shared.errors import Rejected
from shared.events import (
    AgencyReportData,
    AgencyStatusReported,
    AnswerForwarded,
    ApplicationDispatched,
    ApplicationSubmitted,
    CancellationData,
    CancellationForwarded,
    CancellationRefused,
    CancellationRequested,
    DeadLettered,
    DocumentIssued,
    Event,
    InformationData,
    InformationProvided,
    ResultDocument,
    StatusChanged,
    SubmittedData,
    encode,
    utcnow,
)
from shared.messagebus import Batched, MessageBus
from shared.topics import Topics
from shared.unit_of_work import Source, Transaction

TOPICS = Topics("t")
CITIZEN = "citizen-1"
_ids = itertools.count(1)

# Three services of region 3514, one for each way an agency takes its applications.
KAFKA, WEBHOOK, WORKBENCH = "ktp-el", "nib", "izin-praktik-nakes"


class FakeApplications:
    """Routing's applications in a dict, with the repository's methods."""

    def __init__(self) -> None:
        self.stored: dict[str, dict] = {}

    async def get(self, application_id: str, session: Any = None) -> dict | None:
        found = self.stored.get(application_id)
        return copy.deepcopy(found) if found is not None else None

    async def known(self, ids: Sequence[str], session: Any = None) -> set[str]:
        return {i for i in ids if i in self.stored}

    async def insert_routed(self, documents: Sequence[dict], session: Any = None) -> None:
        if any(document["_id"] in self.stored for document in documents):
            raise DuplicateKeyError("E11000 duplicate key: applications")
        for document in documents:
            self.stored[document["_id"]] = copy.deepcopy(document)

    async def update_status(
        self,
        application: Mapping[str, Any],
        changes: Mapping[str, Any],
        session: Any = None,
        *,
        unset: Sequence[str] = (),
        status: str | None = None,
    ) -> bool:
        stored = self.stored.get(application["_id"])
        if stored is None or stored["sequence"] != application["sequence"]:
            return False
        if status is not None and stored["status"] != status:
            return False
        stored.update(copy.deepcopy(dict(changes)))
        for name in unset:
            stored.pop(name, None)
        return True

    async def record_cancellation(
        self, application_id: str, reason: str | None, at: Any, session: Any = None
    ) -> None:
        self.stored[application_id]["cancellation"] = {"reason": reason, "at": at}

    async def record_answer(
        self, application_id: str, update: Mapping[str, Any], session: Any = None
    ) -> None:
        stored = self.stored[application_id]
        for path, value in update.get("$set", {}).items():
            *parents, name = path.split(".")
            target = stored
            for parent in parents:
                target = target.setdefault(parent, {})
            target[name] = value
        for name, value in update.get("$push", {}).items():
            stored.setdefault(name, []).append(value)
        for name, value in update.get("$addToSet", {}).items():
            stored.setdefault(name, []).extend(v for v in value["$each"] if v not in stored[name])


class FakeSeen:
    """Seen event ids in a set; within ``looking_first(False)`` a repeat fails as a duplicate
    key, as the insert does in the database."""

    looking_first = staticmethod(SeenEvents.looking_first)

    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def first_time(self, event: Event, session: Any, source: str) -> bool:
        row = seen_id(source, event.id)
        if row in self.ids:
            if not SeenEvents.looks_first():
                raise DuplicateKeyError("E11000 duplicate key: seen_events")
            return False
        self.ids.add(row)
        return True


class FakeCounts:
    def __init__(self) -> None:
        self.added: list[dict[str, int]] = []

    async def add(self, counts: dict[str, int], session: Any) -> None:
        if counts:
            self.added.append(counts)


class FakeDeliveries:
    def __init__(self) -> None:
        self.scheduled: list[Event] = []
        self.woken = 0

    async def schedule(self, event: Event, session: Any) -> None:
        self.scheduled.append(event)

    def wake(self) -> None:
        self.woken += 1


class FakeResults:
    """Drafts uploaded beforehand, issued with the change that names them."""

    def __init__(self, drafts: Mapping[str, dict]) -> None:
        self._drafts = drafts

    async def drafts(self, agency: str, application_id: str, hashes: list[str]) -> list[dict]:
        return [self._drafts[h] for h in hashes]

    async def issue(self, rows: list[dict], at: Any, session: Any) -> list[ResultDocument]:
        return [
            ResultDocument(
                code=row["_id"],
                sha256=row["sha256"],
                name="izin.pdf",
                content_type="application/pdf",
                size=10,
                issued_at=at,
            )
            for row in rows
        ]


class FakeUnitOfWork(RoutingStores):
    """Runs the work with a transaction that has no session; what it raises is kept only
    when the work returns (a failed transaction stages nothing, and its writes to the
    fake stores are undone, as an aborted transaction's are)."""

    def __init__(
        self, parts: WorkParts, stores: Sequence[Any], sources: Mapping[str, Source]
    ) -> None:
        self.parts = parts
        self._stores = stores
        self.sources = dict(sources)
        self.emitted: list[tuple[str, Event]] = []

    def source(self, event: Event) -> Source:
        return self.sources[event.id]

    async def run(self, work: Callable[[Transaction], Awaitable[Any]]) -> Any:
        before = [copy.deepcopy(vars(store)) for store in self._stores]
        tx = Transaction(session=None)  # type: ignore[arg-type]
        try:
            result = await work(tx)
        except BaseException:
            for store, state in zip(self._stores, before, strict=True):
                vars(store).update(state)
            raise
        self.emitted += tx.raised
        return result


class FakeUnits:
    def __init__(self, parts: WorkParts, *stores: Any) -> None:
        self._parts = parts
        self._stores = stores
        self.made: list[FakeUnitOfWork] = []

    def __call__(self, sources: Sequence[tuple[str, Source]] = ()) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self._parts, self._stores, dict(sources))
        self.made.append(uow)
        return uow

    @property
    def emitted(self) -> list[tuple[str, Event]]:
        return [pair for uow in self.made for pair in uow.emitted]


class World:
    """Routing's parts on fakes, and the records it reads."""

    def __init__(self, results: FakeResults | None = None) -> None:
        self.applications = FakeApplications()
        self.counts = FakeCounts()
        self.deliveries = FakeDeliveries()
        self.seen = FakeSeen()
        self.parts = WorkParts(
            catalogue=load_catalogue(),
            topics=TOPICS,
            applications=self.applications,  # type: ignore[arg-type]
            seen=self.seen,  # type: ignore[arg-type]
            counts=self.counts,  # type: ignore[arg-type]
            group_id="t.routing.submissions",
            deliveries=self.deliveries,  # type: ignore[arg-type]
            results=results,  # type: ignore[arg-type]
        )
        self.units = FakeUnits(self.parts, self.applications, self.seen, self.counts)
        self.offsets = itertools.count()

    def uow(self, *events: Event, topic: str) -> FakeUnitOfWork:
        return self.units([(e.id, Source(topic, 0, next(self.offsets))) for e in events])

    async def route(self, *events: ApplicationSubmitted) -> FakeUnitOfWork:
        handler = submission_handlers()[ApplicationSubmitted]
        assert isinstance(handler, Batched)
        uow = self.uow(*events, topic=TOPICS.submitted)
        await handler.handle(list(events), uow)  # type: ignore[arg-type]
        return uow

    async def change(self, event: Event, topic: str) -> FakeUnitOfWork:
        handler = change_handlers()[type(event)]
        uow = self.uow(event, topic=topic)
        await handler(event, uow)  # type: ignore[operator, arg-type]
        return uow

    async def report(self, application_id: str, to: str, **fields: Any) -> FakeUnitOfWork:
        agency = fields.pop("agency", None) or self.applications.stored[application_id]["agency"]
        topic = fields.pop("topic", None) or TOPICS.agency_updates(agency)
        return await self.change(reported(application_id, agency, to, **fields), topic)

    def stored(self, application_id: str) -> dict:
        return self.applications.stored[application_id]


def submitted(service: str = WORKBENCH, region: str = "3514") -> ApplicationSubmitted:
    application_id = f"app-{next(_ids)}"
    return ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region=region,
        correlation_id=f"corr-{application_id}",
        data=SubmittedData(
            application_id=application_id,
            tracking_number=f"{region}-{application_id}",
            service=service,
            region=region,
            channel="web",
            citizen_id=CITIZEN,
            form={"profession": "bidan"},
            submitted_at=utcnow(),
            sla_due_at=utcnow() + timedelta(days=10),
        ),
    )


def reported(application_id: str, agency: str, to: str, **data: Any) -> AgencyStatusReported:
    return AgencyStatusReported(
        source=f"agency:{agency}",
        subject=application_id,
        correlation_id=f"corr-{application_id}",
        data=AgencyReportData(application_id=application_id, agency=agency, status=to, **data),
    )


def cancellation(application_id: str, citizen_id: str = CITIZEN) -> CancellationRequested:
    return CancellationRequested(
        source="intake",
        subject=application_id,
        correlation_id=f"corr-{application_id}",
        data=CancellationData(
            application_id=application_id,
            tracking_number=f"t-{application_id}",
            citizen_id=citizen_id,
            reason="salah layanan",
        ),
    )


def answer(application_id: str, citizen_id: str = CITIZEN) -> InformationProvided:
    return InformationProvided(
        source="intake",
        subject=application_id,
        correlation_id=f"corr-{application_id}",
        data=InformationData(
            application_id=application_id,
            tracking_number=f"t-{application_id}",
            citizen_id=citizen_id,
            form={"str_number": "STR-123"},
            note="terlampir",
        ),
    )


def on(uow: FakeUnitOfWork, kind: type) -> list[tuple[str, Any]]:
    return [(topic, event) for topic, event in uow.emitted if isinstance(event, kind)]


# Which handler takes which event


def test_submissions_are_taken_in_runs_and_changes_one_at_a_time():
    assert set(submission_handlers()) == {ApplicationSubmitted}
    assert isinstance(submission_handlers()[ApplicationSubmitted], Batched)
    changes = change_handlers()
    assert set(changes) == {AgencyStatusReported, CancellationRequested, InformationProvided}
    assert not any(isinstance(handler, Batched) for handler in changes.values())


# Routing submitted applications


async def test_an_application_for_a_kafka_agency_is_dispatched_on_its_inbox_topic():
    world = World()
    event = submitted(KAFKA)
    uow = await world.route(event)
    stored = world.stored(event.subject)
    assert (stored["status"], stored["agency"], stored["handler_kind"]) == (
        "routed",
        "disdukcapil-3514",
        "kafka",
    )
    assert stored["sla_open"] is True
    ((inbox, dispatched),) = on(uow, ApplicationDispatched)
    assert inbox == TOPICS.agency_inbox("disdukcapil-3514")
    assert dispatched.causation_id == event.id
    ((topic, changed),) = on(uow, StatusChanged)
    assert topic == TOPICS.status
    assert (changed.data.to_status, changed.data.sequence) == ("routed", 1)
    assert world.deliveries.scheduled == []
    assert world.counts.added[0]["total"] == 1


async def test_an_application_for_a_webhook_agency_is_scheduled_for_delivery_and_the_loop_woken():
    world = World()
    event = submitted(WEBHOOK)
    uow = await world.route(event)
    assert world.stored(event.subject)["delivery_state"] == "pending"
    assert on(uow, ApplicationDispatched) == []  # not on a topic: by webhook
    (scheduled,) = world.deliveries.scheduled
    assert isinstance(scheduled, ApplicationDispatched)
    assert scheduled.data.agency == "dpmptsp-3514"
    assert world.deliveries.woken == 1


async def test_an_application_for_a_workbench_agency_waits_in_the_workbench():
    world = World()
    event = submitted(WORKBENCH)
    uow = await world.route(event)
    assert world.stored(event.subject)["handler_kind"] == "workbench"
    assert on(uow, ApplicationDispatched) == []
    assert world.deliveries.scheduled == []
    assert [e.data.to_status for _, e in on(uow, StatusChanged)] == ["routed"]


async def test_an_application_no_agency_handles_fails_routing_with_a_dead_letter_naming_it():
    world = World()
    event = submitted(KAFKA, region="9999")
    uow = await world.route(event)
    stored = world.stored(event.subject)
    assert (stored["status"], stored["agency"]) == ("routing_failed", None)
    assert "sla_open" not in stored
    ((_, changed),) = on(uow, StatusChanged)
    assert changed.data.to_status == "routing_failed"
    ((topic, letter),) = on(uow, DeadLettered)
    assert topic == TOPICS.deadletter
    source = uow.source(event)
    assert (letter.data.topic, letter.data.offset) == (source.topic, source.offset)
    assert letter.data.consumer_group == "t.routing.submissions"
    assert "mpp applications reroute" in letter.data.reason


async def test_a_run_of_submissions_is_routed_together_and_one_routed_before_is_skipped():
    world = World()
    first = submitted()
    await world.route(first)
    second, third = submitted(KAFKA), submitted(WEBHOOK)
    uow = await world.route(first, second, third)
    assert set(world.applications.stored) == {first.subject, second.subject, third.subject}
    assert [e.subject for _, e in on(uow, StatusChanged)] == [second.subject, third.subject]


# Agency status reports


async def test_an_agency_report_on_its_own_topic_moves_the_application():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    uow = await world.report(event.subject, "received")
    stored = world.stored(event.subject)
    assert (stored["status"], stored["sequence"]) == ("received", 2)
    ((_, changed),) = on(uow, StatusChanged)
    assert (changed.data.from_status, changed.data.actor) == ("routed", "agency")


async def test_a_report_on_another_agencys_topic_is_refused_and_changes_nothing():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    with pytest.raises(ForeignReport) as refused:
        await world.report(event.subject, "received", topic=TOPICS.agency_updates("samsat-3514"))
    assert isinstance(refused.value, Rejected)
    assert world.stored(event.subject)["status"] == "routed"


async def test_a_report_about_another_agencys_application_is_refused():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    with pytest.raises(UnknownApplication):
        await world.report(event.subject, "received", agency="samsat-3514")
    assert world.stored(event.subject)["status"] == "routed"


async def test_a_report_about_an_unknown_application_is_refused():
    world = World()
    with pytest.raises(UnknownApplication):
        await world.report("no-such-application", "received", agency="disdukcapil-3514")


async def test_a_transition_the_workflow_does_not_allow_is_refused():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    with pytest.raises(Rejected, match="allowed next: received"):
        await world.report(event.subject, "approved")
    assert world.stored(event.subject)["status"] == "routed"


async def test_the_same_report_delivered_again_changes_nothing():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    report = reported(event.subject, "disdukcapil-3514", "received")
    await world.change(report, TOPICS.agency_updates("disdukcapil-3514"))
    again = await world.change(report, TOPICS.agency_updates("disdukcapil-3514"))
    assert again.emitted == []
    assert world.stored(event.subject)["sequence"] == 2


async def test_a_decision_stops_the_sla_clock_and_issues_the_named_result_documents():
    draft = {"_id": "MPP-AAAA-BBBB-CCCC", "sha256": "a" * 64, "state": "draft"}
    world = World(FakeResults({draft["sha256"]: draft}))
    event = submitted(KAFKA)
    await world.route(event)
    for to in ("received", "in_review"):
        await world.report(event.subject, to)
    uow = await world.report(event.subject, "approved", results=[draft["sha256"]])
    stored = world.stored(event.subject)
    assert stored["status"] == "approved"
    assert "sla_open" not in stored
    assert stored["decided_at"] is not None
    assert [r["code"] for r in stored["results"]] == [draft["_id"]]
    topics = [topic for topic, _ in uow.emitted]
    assert topics == [TOPICS.status, TOPICS.documents]  # the change, then its document
    ((_, issued),) = on(uow, DocumentIssued)
    assert issued.data.code == draft["_id"]


# Citizens' cancellations and answers


async def test_a_cancellation_is_applied_and_forwarded_to_the_agency():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    uow = await world.change(cancellation(event.subject), TOPICS.citizen_actions)
    stored = world.stored(event.subject)
    assert stored["status"] == "cancelled"
    assert stored["cancellation"]["reason"] == "salah layanan"
    ((inbox, forwarded),) = on(uow, CancellationForwarded)
    assert inbox == TOPICS.agency_inbox("disdukcapil-3514")
    assert forwarded.data.reason == "salah layanan"
    ((_, changed),) = on(uow, StatusChanged)
    assert (changed.data.to_status, changed.data.actor) == ("cancelled", "citizen")


async def test_a_cancellation_for_a_webhook_agency_is_delivered_by_webhook():
    world = World()
    event = submitted(WEBHOOK)
    await world.route(event)
    await world.change(cancellation(event.subject), TOPICS.citizen_actions)
    assert [type(e) for e in world.deliveries.scheduled] == [
        ApplicationDispatched,
        CancellationForwarded,
    ]
    assert world.deliveries.woken == 2


async def test_a_cancellation_of_an_application_that_failed_routing_tells_no_agency():
    world = World()
    event = submitted(region="9999")
    await world.route(event)
    uow = await world.change(cancellation(event.subject), TOPICS.citizen_actions)
    assert world.stored(event.subject)["status"] == "cancelled"
    assert on(uow, CancellationForwarded) == []


async def test_a_cancellation_the_workflow_no_longer_allows_is_answered_once_with_a_refusal():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    for to in ("received", "in_review", "approved"):
        await world.report(event.subject, to)
    request = cancellation(event.subject)
    uow = await world.change(request, TOPICS.citizen_actions)
    assert world.stored(event.subject)["status"] == "approved"
    assert "cancellation" not in world.stored(event.subject)
    ((topic, refused),) = on(uow, CancellationRefused)
    assert topic == TOPICS.status
    assert refused.data.status == "approved"
    assert refused.causation_id == request.id
    again = await world.change(request, TOPICS.citizen_actions)
    assert again.emitted == []


async def test_another_citizens_cancellation_is_refused_as_an_unknown_application():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    with pytest.raises(UnknownApplication):
        await world.change(cancellation(event.subject, "someone-else"), TOPICS.citizen_actions)
    assert world.stored(event.subject)["status"] == "routed"


async def test_an_answer_is_merged_into_the_form_and_forwarded_to_the_agency():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    await world.report(event.subject, "received")
    await world.report(event.subject, "needs_info", requested_fields=["str_number"])
    uow = await world.change(answer(event.subject), TOPICS.citizen_actions)
    stored = world.stored(event.subject)
    assert stored["status"] == "resubmitted"
    assert stored["form"] == {"profession": "bidan", "str_number": "STR-123"}
    assert stored["responses"][0]["requested_fields"] == ["str_number"]
    ((inbox, forwarded),) = on(uow, AnswerForwarded)
    assert inbox == TOPICS.agency_inbox("disdukcapil-3514")
    assert forwarded.data.requested_fields == ["str_number"]
    assert forwarded.data.form == {"str_number": "STR-123"}


async def test_an_answer_about_an_unknown_application_is_refused():
    world = World()
    with pytest.raises(UnknownApplication):
        await world.change(answer("no-such-application"), TOPICS.citizen_actions)


async def test_an_answer_that_was_not_asked_for_is_refused_and_merges_nothing():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    with pytest.raises(Rejected):
        await world.change(answer(event.subject), TOPICS.citizen_actions)
    stored = world.stored(event.subject)
    assert (stored["status"], stored["form"]) == ("routed", {"profession": "bidan"})


# Through the bus: a refusal is dead-lettered at once, the stream carries on


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[ConsumerRecord, str]] = []

    async def send(self, record: ConsumerRecord, reason: str, *, category: str, **_: Any) -> None:
        self.sent.append((record, category))


async def test_the_bus_dead_letters_a_foreign_report_and_applies_the_next_one():
    world = World()
    event = submitted(KAFKA)
    await world.route(event)
    dead_letters = FakeDeadLetters()
    bus = MessageBus(
        change_handlers(),
        units=world.units,  # type: ignore[arg-type]
        dead_letters=dead_letters,  # type: ignore[arg-type]
        declared=TOPICS.declared_types,
        attempts=3,
        backoff_seconds=0,
    )
    foreign = reported(event.subject, "disdukcapil-3514", "received")
    own = reported(event.subject, "disdukcapil-3514", "received")

    def record(topic: str, offset: int, message: Event) -> ConsumerRecord:
        return ConsumerRecord(topic, 0, offset, 0, 0, None, encode(message), None, 0, 0, [])

    await bus(
        [
            record(TOPICS.agency_updates("samsat-3514"), 7, foreign),
            record(TOPICS.agency_updates("disdukcapil-3514"), 8, own),
        ]
    )
    assert [(r.offset, category) for r, category in dead_letters.sent] == [(7, "rejected")]
    assert world.stored(event.subject)["status"] == "received"
