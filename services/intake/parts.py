"""What intake is made of, made once: :func:`build_parts`, for the app and for ``mpp``.

Making the parts opens no connection and starts nothing: the clients connect on first
use, and the app's lifespan runs what :func:`build_parts` schedules. A handler takes its
event or command and an :class:`IntakeUnitOfWork`, and reaches what it writes and
decides by through it (``uow.applications``, ``uow.topics`` …), so a test passes a unit
of work holding fakes.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx
from pymongo import AsyncMongoClient

from services.intake.applications import ApplicationRepository
from services.intake.batches import MobileBatches
from services.intake.callers import Caller, citizen_principal
from services.intake.complaint_files import ComplaintFiles
from services.intake.documents import DocumentAccess, DocumentStore
from services.intake.drafts import DraftStore
from services.intake.group_commit import GroupCommit, TrackingCounters
from services.intake.idempotency import IdempotencyStore
from services.intake.identity_client import IdentityClient, SignOuts
from services.intake.queue.bookings import BookingStore
from services.intake.queue.hall import Hall
from services.intake.queue.ledger import QueueLedger
from services.intake.queue.release import QueueReleaser
from services.intake.queue.tickets import TicketStore
from services.intake.retention import create_retention_indexes, retention_sweeps
from services.intake.uploads import UploadStore
from shared.outbox import Outbox
from shared.queue_clock import QueueClock
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from shared.unit_of_work import Source, UnitOfWork, UnitsOfWork
from shared.walk_in_survey import survey_pages

__all__ = ["IntakeParts", "IntakeUnitOfWork", "IntakeUnits", "build_parts"]


class IntakeUnitOfWork(UnitOfWork):
    """One command's or one consumed run's work in intake: the shared transaction and
    outbox, with intake's stores by name."""

    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None,
        parts: "IntakeParts",
        sources: dict[str, Source] | None = None,
    ) -> None:
        super().__init__(mongo, outbox, sources)
        self.applications = parts.applications
        self.documents = parts.documents  # the citizen's uploads an answer names
        self.catalogue = parts.runtime.catalogue
        self.topics = parts.runtime.topics
        self.personal = parts.runtime.personal  # seals personal answers under their key
        self.complaint_files = ComplaintFiles(parts.runtime.db)  # kept with their complaint


class IntakeUnits(UnitsOfWork):
    """Makes intake's units of work; :attr:`parts` is set by :func:`build_parts` once
    the stores exist (the uploads and the group commit are made with these units)."""

    parts: "IntakeParts | None" = None

    def __call__(self, sources: Sequence[tuple[str, Source]] = ()) -> IntakeUnitOfWork:
        assert self.parts is not None, "intake's parts are set when the service is built"
        return IntakeUnitOfWork(self._mongo, self.outbox, self.parts, dict(sources))


@dataclass(frozen=True)
class IntakeParts:
    """Every part intake is made of; the routes reach them through
    :mod:`services.intake.deps`."""

    runtime: Runtime
    """Settings, catalogue, MongoDB, Kafka, metrics, the outbox and its units of work
    (``runtime.units`` is :attr:`units`, so the message bus makes intake's)."""
    units: IntakeUnits
    principal: Caller
    """The verified caller, within their rate limit, not signed out since."""
    submitter: Caller
    """The same for a submission, which leaves the sign-out check to identity's answer
    about the applicant (one question to identity instead of two)."""
    identity: IdentityClient
    applications: ApplicationRepository
    idempotency: IdempotencyStore
    """``idempotency_keys``: the answers of submissions, by Idempotency-Key."""
    batch_keys: IdempotencyStore
    """``mobile_batch_keys``: the answers of mobile units' items, by their keys."""
    commits: GroupCommit
    """Stores accepted submissions with their key records and events, in groups."""
    documents: DocumentStore
    uploads: UploadStore
    drafts: DraftStore
    batches: MobileBatches
    access: DocumentAccess
    """Records each opening of a citizen's document by an officer."""
    retention: RetentionSweeper
    """Intake's retention sweeps (``mpp privacy retention`` runs the same)."""
    ledger: QueueLedger
    """``queue_slots``: the places taken in each queue slot (docs/queue.md)."""
    bookings: BookingStore
    """``queue_bookings``: citizens' bookings of a slot, by booking code."""
    hall: Hall
    """The queue inside the building: tickets, calls, the queue's clock."""

    def index_builders(self) -> list[Callable[[], Awaitable[None]]]:
        """What creates each collection's indexes when the service starts."""
        return [
            self.applications.create_indexes,
            partial(create_retention_indexes, self.runtime.db),
            self.idempotency.create_indexes,
            self.batch_keys.create_indexes,
            self.documents.create_indexes,
            self.drafts.create_indexes,
            self.uploads.create_indexes,
            self.ledger.create_indexes,
            self.bookings.create_indexes,
            self.hall.tickets.create_indexes,
            ComplaintFiles(self.runtime.db).create_indexes,
        ]

    async def close(self) -> None:
        """Close the database client (a command's parts; the app's closes its own)."""
        await self.runtime.mongo.close()


def build_parts(
    settings: Settings, identity: httpx.AsyncBaseTransport | None = None
) -> IntakeParts:
    """Intake's parts for ``settings``; ``identity`` is how they reach identity's API (a
    test passes an app in the same process), else ``MPP_INTERNAL_URLS`` or identity's
    local port."""
    runtime = build_runtime("intake", settings)
    _declare_publishers(runtime)
    units = runtime.units = IntakeUnits(runtime.mongo)
    runtime.outbox()  # the relay, before any store writes through the unit of work
    db = runtime.db
    client = IdentityClient(settings, identity)
    runtime.background.append(client.held_open)
    applications = ApplicationRepository(db)
    keys = IdempotencyStore(db, settings.idempotency_ttl_hours)
    batch_keys = IdempotencyStore(
        db,
        settings.mobile_capture_window_hours + settings.idempotency_ttl_hours,
        collection="mobile_batch_keys",
    )
    commits = GroupCommit(
        units,
        TrackingCounters(db),
        applications,
        runtime.topics.submitted,
        keys=[keys, batch_keys],
    )
    runtime.background.append(commits.run)
    documents = DocumentStore(db, settings.intake_document_limit_bytes, runtime.personal)
    units.parts = parts = IntakeParts(
        runtime=runtime,
        units=units,
        principal=citizen_principal(settings, SignOuts(client, settings.auth_token_minutes)),
        submitter=citizen_principal(settings, None),
        identity=client,
        applications=applications,
        idempotency=keys,
        batch_keys=batch_keys,
        commits=commits,
        documents=documents,
        uploads=UploadStore(units, db, documents, timedelta(hours=settings.upload_expiry_hours)),
        drafts=DraftStore(db, runtime.personal),
        batches=MobileBatches(
            personal=runtime.personal,
            keys=batch_keys,
            catalogue=runtime.catalogue,
            commits=commits,
            window=timedelta(hours=settings.mobile_capture_window_hours),
        ),
        access=DocumentAccess(units, runtime.topics),
        retention=attach(runtime, retention_sweeps(db)),
        ledger=(ledger := QueueLedger(db)),
        bookings=(bookings := BookingStore(db, units, runtime.topics.queue)),
        hall=Hall(
            runtime.catalogue,
            ledger,
            bookings,
            TicketStore(db),
            units,
            runtime.topics.queue,
            QueueClock(settings.queue_clock_file),
            survey_pages(settings),
        ),
    )
    sweep = QueueReleaser(parts.hall, every_seconds=settings.queue_release_sweep_seconds)
    runtime.background.append(sweep.run)
    return parts


def _declare_publishers(runtime: Runtime) -> None:
    """What intake writes (its AsyncAPI document, and the only topics its outbox takes)."""
    topics = runtime.topics
    runtime.declare_publisher([topics.submitted], "Applications accepted by intake.")
    runtime.declare_publisher(
        [topics.citizen_actions],
        "Citizens' cancellation requests and answers to requests for information.",
    )
    runtime.declare_publisher([topics.access], "Officers' openings of citizens' documents.")
    runtime.declare_publisher(
        [topics.queue], "The MPP's queue: bookings, check-ins, tickets, calls (docs/queue.md)."
    )
