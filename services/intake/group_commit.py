"""Group commit: under load, many submissions share one transaction.

Each accepted submission is stored with its event (the outbox) and its idempotency
record atomically, and gets a tracking number; one by one, the database's transaction
rate would cap intake's. Submissions that arrive while a transaction commits wait (never
longer than that commit) and go together: one counter update per region and day, one
insert per collection. Alone, a submission is committed at once.

Every caller still gets its own outcome: if the group's transaction fails on a unique
key (the same Idempotency-Key from two processes at once), each member is retried alone
so only the one at fault fails; any other error reaches them all, nothing stored.
"""

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.intake.applications import ApplicationRepository, NewApplication
from services.intake.idempotency import IdempotencyStore
from shared.mongo import DUPLICATE_KEY, only_duplicate_keys
from shared.tracing import capture, for_subjects
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["GroupCommit", "TrackingCounters"]


class TrackingCounters:
    """The tracking numbers' counters (``tracking_counters``), one per region and day."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._counters: AsyncCollection = db["tracking_counters"]

    async def take(self, counter: str, count: int) -> int:
        """Reserve ``count`` consecutive numbers of ``counter``; the last one taken before."""
        for _attempt in range(3):
            found = await self._counters.find_one_and_update(
                {"_id": counter},
                {"$inc": {"n": count}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            # Two first upserts of a day's counter can race; the loser sees nothing
            # and tries again (a gap in the numbers at worst, never a duplicate).
            if found is not None:
                return int(found["n"]) - count
        raise RuntimeError(f"tracking counter {counter} could not be advanced")


@dataclass
class _Member:
    application: NewApplication
    done: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    tracking_number: str = ""
    trace: Any = field(default_factory=capture)  # the request's trace, for its events


class GroupCommit:
    def __init__(
        self,
        units: UnitsOfWork,
        counters: TrackingCounters,
        applications: ApplicationRepository,
        topic: str,
        keys: Iterable[IdempotencyStore] = (),
        *,
        max_group: int = 64,
        committers: int = 2,
    ) -> None:
        self._units = units
        self._counters = counters
        self._applications = applications
        self._topic = topic
        # The stores of idempotency records, by the name an application's Remember gives.
        self._keys = {store.name: store for store in keys}
        self._max_group = max_group
        self._committers = committers
        self._queue: asyncio.Queue[_Member] | None = None

    async def run(self) -> None:
        """The committers; started with the service. Two, so one group is being prepared
        while the other commits."""
        self._queue = queue = asyncio.Queue()
        try:
            await asyncio.gather(*(self._commit_groups() for _ in range(self._committers)))
        finally:
            self._queue = None
            stopping = RuntimeError("intake is stopping; nothing was stored")
            while not queue.empty():
                _fail([queue.get_nowait()], stopping)

    async def submit(self, application: NewApplication) -> str:
        """Store ``application`` with its idempotency record and event; its tracking
        number once committed."""
        member = _Member(application)
        if self._queue is None:  # not started (a script, a test): commit alone
            await self._commit([member])
        else:
            self._queue.put_nowait(member)
        return await member.done

    async def _commit_groups(self) -> None:
        assert self._queue is not None
        while True:
            group = [await self._queue.get()]
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                await self._commit(group)
            except asyncio.CancelledError:
                _fail(group, RuntimeError("intake is stopping; the outcome is unknown"))
                raise

    async def _commit(self, group: list[_Member]) -> None:
        try:
            await self._number(group)
            await self._store(group)
        except DuplicateKeyError as exc:
            if len(group) == 1:
                _fail(group, exc)
                return
            for member in group:  # find the one at fault; the others still commit
                try:
                    await self._store([member])
                except Exception as alone:
                    _fail([member], alone)
                else:
                    _succeed([member])
            return
        except Exception as exc:
            _fail(group, exc)
            return
        _succeed(group)

    async def _number(self, group: list[_Member]) -> None:
        """One counter update per counter in the group; members take consecutive numbers."""
        wanted = Counter(member.application.counter for member in group)
        last = {counter: await self._counters.take(counter, n) for counter, n in wanted.items()}
        for member in group:
            counter = member.application.counter
            last[counter] += 1
            member.tracking_number = member.application.tracking_number(last[counter])

    async def _store(self, group: list[_Member]) -> None:
        """One unit of work: the applications, their idempotency records, their events."""

        async def write(tx: Transaction) -> None:
            numbered = [(member.application, member.tracking_number) for member in group]
            with _duplicates_as_one():
                await self._applications.add(numbered, tx.session)
                for name, records in _key_records(group).items():
                    await self._keys[name].add(records, tx.session)
            for application, tracking_number in numbered:
                tx.emit(self._topic, application.submitted(tracking_number))

        traces = {member.application.id: member.trace for member in group}
        with for_subjects(traces):  # each application's event continues its request's trace
            await self._units.run(write)


def _key_records(group: list[_Member]) -> dict[str, list[dict[str, Any]]]:
    """The members' idempotency records, by the store that keeps them (its name)."""
    by_store: dict[str, list[dict[str, Any]]] = {}
    for member in group:
        remember = member.application.remember
        if remember is not None:
            answer = member.application.answer(member.tracking_number)
            by_store.setdefault(remember.keys, []).append(remember.document(answer))
    return by_store


@contextlib.contextmanager
def _duplicates_as_one() -> Iterator[None]:
    """A bulk insert failed only by unique keys fails as one ``DuplicateKeyError``."""
    try:
        yield
    except BulkWriteError as exc:
        if only_duplicate_keys(exc):
            raise DuplicateKeyError(str(exc), DUPLICATE_KEY, exc.details) from exc
        raise


def _succeed(group: list[_Member]) -> None:
    for member in group:
        if not member.done.done():
            member.done.set_result(member.tracking_number)


def _fail(group: list[_Member], exc: BaseException) -> None:
    for member in group:
        if not member.done.done():
            member.done.set_exception(exc)
            # Retrieved here so an abandoned request (client gone) logs no warning.
            with contextlib.suppress(BaseException):
                member.done.exception()
