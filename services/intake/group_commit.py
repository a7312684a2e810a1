"""Group commit: under load, many submissions share one transaction.

Each accepted submission must be stored with its event (the outbox) and its
idempotency record atomically, and must get a tracking number. Done one by one that is
a counter update plus a transaction of three inserts per submission, and the database's
transaction rate caps intake's. Here, submissions that arrive while a transaction is
committing wait (never longer than that commit) and then go together: one counter
update per region and day for the whole group, and one transaction with one
``insert_many`` per collection. Alone, a submission is committed at once, as before.

Every caller still gets its own outcome: if the group's transaction fails on a unique
key (the same Idempotency-Key from two processes at once), each member is retried in a
transaction of its own so only the one at fault fails; any other error reaches them all,
and nothing of the group was stored.
"""

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.mongo import in_transaction
from shared.outbox import Outbox, StagedEvent
from shared.tracing import capture, for_subjects

__all__ = ["GroupCommit", "Stored"]

Stored = tuple[list[tuple[str, dict[str, Any]]], list[StagedEvent]]
"""What one submission writes: (collection, document) pairs and its outbox events."""

_DUPLICATE_KEY = 11000


@dataclass
class _Member:
    counter: str
    build: Callable[[int], Stored]
    done: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    number: int = 0
    stored: Stored | None = None
    trace: Any = field(default_factory=capture)  # the request's trace, for its events


class GroupCommit:
    def __init__(
        self,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        outbox: Outbox,
        *,
        max_group: int = 64,
        committers: int = 2,
    ) -> None:
        self._mongo = mongo
        self._db = db
        self._outbox = outbox
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

    async def store(self, counter: str, build: Callable[[int], Stored]) -> int:
        """Store what ``build(n)`` returns, ``n`` being the next number of ``counter``;
        returns ``n`` once committed."""
        member = _Member(counter, build)
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
            for member in group:
                member.stored = member.build(member.number)
        except Exception as exc:
            _fail(group, exc)
            return
        try:
            await in_transaction(self._mongo, lambda session: self._write(group, session))
        except DuplicateKeyError as exc:
            if len(group) == 1:
                _fail(group, exc)
                return
            for member in group:  # find the one at fault; the others still commit
                try:
                    await in_transaction(
                        self._mongo, lambda session, m=member: self._write([m], session)
                    )
                except Exception as alone:
                    _fail([member], alone)
                else:
                    _succeed([member])
            self._outbox.wake()
            return
        except Exception as exc:
            _fail(group, exc)
            return
        _succeed(group)
        self._outbox.wake()

    async def _number(self, group: list[_Member]) -> None:
        """One counter update per counter in the group; members take consecutive numbers."""
        wanted = Counter(member.counter for member in group)
        last: dict[str, int] = {}
        for counter, count in wanted.items():
            for _attempt in range(3):
                found = await self._db["tracking_counters"].find_one_and_update(
                    {"_id": counter},
                    {"$inc": {"n": count}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                # Two first upserts of a day's counter can race; the loser sees nothing
                # and tries again (a gap in the numbers at worst, never a duplicate).
                if found is not None:
                    break
            else:
                raise RuntimeError(f"tracking counter {counter} could not be advanced")
            last[counter] = found["n"] - count
        for member in group:
            last[member.counter] += 1
            member.number = last[member.counter]

    async def _write(self, group: list[_Member], session: AsyncClientSession) -> None:
        documents: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        events: list[StagedEvent] = []
        traces = {}
        for member in group:
            assert member.stored is not None
            for collection, document in member.stored[0]:
                documents[collection].append(document)
            events += member.stored[1]
            traces |= {event.subject: member.trace for _, event in member.stored[1]}  # type: ignore[attr-defined]
        for collection, batch in documents.items():
            try:
                await self._db[collection].insert_many(batch, session=session, ordered=True)
            except BulkWriteError as exc:
                codes = {error.get("code") for error in exc.details.get("writeErrors", [])}
                if codes == {_DUPLICATE_KEY}:
                    raise DuplicateKeyError(str(exc), _DUPLICATE_KEY, exc.details) from exc
                raise
        with for_subjects(traces):
            await self._outbox.stage(events, session)


def _succeed(group: list[_Member]) -> None:
    for member in group:
        if not member.done.done():
            member.done.set_result(member.number)


def _fail(group: list[_Member], exc: BaseException) -> None:
    for member in group:
        if not member.done.done():
            member.done.set_exception(exc)
            # Retrieved here so an abandoned request (client gone) logs no warning.
            with contextlib.suppress(BaseException):
                member.done.exception()
