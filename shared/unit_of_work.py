"""A unit of work: one MongoDB transaction and the events it raises.

Every change a service makes — a citizen's submission, an officer's decision, a consumed
status change — is written in one transaction together with the events that announce
it, staged in the service's transactional outbox (:mod:`shared.outbox`). The unit of
work carries that bookkeeping, so a handler only says what it writes and what it raises::

    async def cancel(command: Cancel, uow: UnitOfWork) -> None:
        async def write(tx: Transaction) -> None:
            await applications.mark_cancelled(command.application_id, tx.session)
            tx.emit(topics.status, StatusChanged(...))

        await uow.run(write)

:meth:`UnitOfWork.run` opens the transaction (retried by the driver on transient
errors, each attempt starting with no events), stages the raised events inside it,
commits, and wakes the relay after the commit — a forgotten wake can no longer delay an
event until the next poll. Work that raises nothing costs no outbox round trip.

A unit of work made for a consumed record knows where the record came from
(:attr:`UnitOfWork.sources`): the topic an event arrived on is its authority, never
its body.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.events import Event
from shared.mongo import in_transaction
from shared.outbox import Outbox

__all__ = ["Source", "Transaction", "UnitOfWork", "UnitsOfWork"]

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a consumed event was read: its topic, partition, offset and key."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None


@dataclass
class Transaction:
    """One attempt of a transaction: its session, and the events raised in it."""

    session: AsyncClientSession
    raised: list[tuple[str, Event]] = field(default_factory=list)

    def emit(self, topic: str, event: Event) -> None:
        """Publish ``event`` on ``topic`` if, and only if, this transaction commits."""
        self.raised.append((topic, event))


class UnitOfWork:
    """The work of one command, or of one consumed event (or a run of them)."""

    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None,
        sources: dict[str, Source] | None = None,
    ) -> None:
        self._mongo = mongo
        self._outbox = outbox
        self.sources: dict[str, Source] = sources or {}
        self.emitted: list[tuple[str, Event]] = []

    def source(self, event: Event) -> Source:
        """Where ``event`` was read (a unit of work made for consumed records)."""
        return self.sources[event.id]

    async def run(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction, its raised events staged in the same one;
        after the commit the relay is woken."""

        async def attempt(session: AsyncClientSession) -> tuple[T, list[tuple[str, Event]]]:
            tx = Transaction(session)
            result = await work(tx)
            if tx.raised:
                if self._outbox is None:
                    raise RuntimeError("this service has no outbox to stage events in")
                await self._outbox.stage(tx.raised, session)
            return result, tx.raised

        result, raised = await in_transaction(self._mongo, attempt)
        if raised:
            self.emitted += raised
            assert self._outbox is not None
            self._outbox.wake()
        return result


class UnitsOfWork:
    """Makes a service's units of work (its database client and outbox)."""

    def __init__(self, mongo: AsyncMongoClient, outbox: Outbox | None = None) -> None:
        self._mongo = mongo
        self.outbox = outbox  # set by Runtime.outbox() when the service has one

    def __call__(self, sources: Sequence[tuple[str, Source]] = ()) -> UnitOfWork:
        return UnitOfWork(self._mongo, self.outbox, dict(sources))

    async def run(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """One transaction outside any consumed record (a command from HTTP)."""
        return await self().run(work)
