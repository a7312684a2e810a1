"""The outbox relay's lease: of all the replicas of a service, one relay publishes.

Every replica runs a relay, but only the holder of the service's lease publishes. Two
relays publishing one outbox would send every event once per replica and interleave
their batches out of order. The lease is one document in the service's database::

    outbox_lease: {_id: "relay", holder: "routing@host:pid:nonce", token: 7, beat: 1234}

* The holder renews every ``renew_seconds`` by incrementing ``beat`` — only while
  ``holder`` and ``token`` are still its own, so a renewal never revives a lost lease.
* A contender that has seen the same ``(token, beat)`` for ``lease_seconds`` by its own
  clock takes over with a compare-and-set on what it saw, naming itself and incrementing
  ``token``: the fencing token. A graceful stop clears ``holder``; then the next
  contender takes over at once. So does a process restarted in place of the holder
  (the same host and port, see :func:`holder_name`).
* Nobody compares clocks between machines. The holder trusts its lease until
  ``lease_seconds - renew_seconds`` after it *sent* its last successful renewal; a
  contender waits ``lease_seconds`` after it *saw* that renewal, which is later. (The
  same rule as Kubernetes' client-go leader election, which times a record by when it
  was observed, not by the times written in it.) This local database also cannot compare
  dates with ``$$NOW`` in a query, so a lease on server time was not an option here.

Fencing: the holder reads the lease back in the same reply as the rows it is about to
publish (:meth:`held_filter`, :meth:`check` where the database cannot read both at
once), and publishes nothing when the lease no longer names it and its token. A relay
that stalled and lost the lease finds on waking that its token is stale, and goes back
to waiting. The broker cannot check a token, so one window remains: a process frozen
between that read and the send sends that one batch late — a batch the new holder
publishes too. That is a duplicate, which consumers drop by event id, never a loss.

Deleting published rows is not fenced: a row is deleted only by a relay whose sends of
its events the broker acknowledged, so even a relay that lost the lease meanwhile loses
nothing by deleting it (:meth:`shared.outbox.Outbox.relay_once`). A fenced delete — a
transaction ending with a conditional write to the lease — cost three round trips per
batch instead of one, and a holder killed inside it left the lease document locked
until the database aborted the transaction.
"""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.polling import stop_if_cancelled

__all__ = ["LeaseLost", "RelayLease", "holder_name"]

log = structlog.get_logger(__name__)


LEASE_ID = "relay"


class LeaseLost(Exception):
    """This process does not hold the relay lease (any more): publish and delete nothing."""


def holder_name(service: str, port: int | None = None) -> str:
    """Who holds a lease: the service, its host and its HTTP port — an address only one
    live process can serve, so a process restarted in place (a container's restart, a
    SIGKILLed process started again) is recognised as the holder it replaces and takes
    the lease back at once instead of waiting for it to lapse. Without a port: the
    process id and a nonce. No personal data."""
    where = port if port is not None else f"{os.getpid()}:{uuid.uuid4().hex[:6]}"
    return f"{service}@{socket.gethostname()}:{where}"


class RelayLease:
    def __init__(
        self,
        collection: AsyncCollection,
        *,
        holder: str,
        lease_seconds: float = 4.0,
        renew_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if renew_seconds * 2 > lease_seconds:
            raise ValueError("renew at least twice per lease")
        self._leases = collection
        self.holder = holder
        self._lease_seconds = lease_seconds
        self._renew_seconds = renew_seconds
        self._clock = clock
        self._token: int | None = None
        self._valid_until = 0.0
        self._held = asyncio.Event()
        self._writing = asyncio.Lock()  # a renewal and a release never overlap
        self._seen: tuple[object, ...] | None = None  # (holder, token, beat) last observed
        self._seen_at = 0.0

    @property
    def token(self) -> int | None:
        """The fencing token while this process holds the lease."""
        return self._token

    def valid(self) -> bool:
        """Held, by this process's own clock (no database round trip)."""
        return self._token is not None and self._clock() < self._valid_until

    async def wait_held(self) -> None:
        await self._held.wait()

    async def run(self) -> None:
        """Renew while holding, try to take over while not; until cancelled."""
        failing = False
        while True:
            stop_if_cancelled()
            try:
                await self.tick()
                if failing:
                    log.info("outbox lease reachable again", holder=self.holder)
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is unreachable: the lease lapses
                if not failing:
                    log.warning("outbox lease unreachable", error=type(exc).__name__)
                failing = True
            if self._token is not None and not self.valid():
                self._lose("renewals failed")
            await asyncio.sleep(self._renew_seconds)

    async def tick(self) -> bool:
        """One renewal or one attempt to take the lease; returns whether it is held."""
        async with self._writing:
            if self._token is not None:
                await self._renew()
            else:
                await self._try_take()
        return self._token is not None

    @property
    def collection(self) -> AsyncCollection:
        return self._leases

    def held_filter(self, token: int) -> dict[str, object]:
        """Matches the lease document only while it names this holder and ``token``."""
        return {"_id": LEASE_ID, "holder": self.holder, "token": token}

    async def check(self) -> None:
        """Before publishing: the lease document still names this holder and token."""
        token = self._token
        if token is None or not self.valid():
            raise LeaseLost("not the holder")
        if await self._leases.find_one(self.held_filter(token), {"_id": 1}) is None:
            self._lose("taken over")
            raise LeaseLost(f"token {token} is stale")

    async def release(self) -> None:
        """On a graceful stop: let the next replica take over at once."""
        async with self._writing:
            token, self._token = self._token, None
            self._held.clear()
            if token is not None:
                await self._leases.update_one(
                    {"_id": LEASE_ID, "holder": self.holder, "token": token},
                    {"$set": {"holder": None}},
                )
                log.info("outbox lease released", holder=self.holder, token=token)

    async def _renew(self) -> None:
        sent = self._clock()
        renewed = await self._leases.update_one(
            {"_id": LEASE_ID, "holder": self.holder, "token": self._token},
            {"$inc": {"beat": 1}},
        )
        if renewed.matched_count == 0:
            self._lose("taken over")
            return
        self._valid_until = sent + self._lease_seconds - self._renew_seconds

    async def _try_take(self) -> None:
        current = await self._leases.find_one({"_id": LEASE_ID})
        # When this process saw the lease: after the read came back, so after the
        # holder sent the renewal it shows.
        seen_at = self._clock()
        if current is None:
            try:
                await self._leases.insert_one(
                    {"_id": LEASE_ID, "holder": self.holder, "token": 1, "beat": 0}
                )
            except DuplicateKeyError:
                return  # another replica made it first
            self._take(1, seen_at, previous=None)
            return
        holder = current.get("holder")
        seen = (holder, current["token"], current["beat"])
        if seen != self._seen:
            self._seen, self._seen_at = seen, seen_at
        # Free: released; or naming this holder — this process, which lost the lease
        # only by its own clock while the database was out of reach, or the one it was
        # restarted in place of; or silent for a whole lease.
        free = holder is None or holder == self.holder
        if not free and seen_at - self._seen_at < self._lease_seconds:
            return  # the holder renewed within a lease: it is alive
        sent = self._clock()
        taken = await self._leases.update_one(
            {"_id": LEASE_ID, "holder": holder, "token": current["token"], "beat": current["beat"]},
            {"$set": {"holder": self.holder, "beat": 0}, "$inc": {"token": 1}},
        )
        if taken.matched_count:
            silent = round(seen_at - self._seen_at, 2)
            self._take(current["token"] + 1, sent, previous=holder, silent_seconds=silent)

    def _take(
        self, token: int, sent: float, previous: str | None, silent_seconds: float = 0.0
    ) -> None:
        self._token = token
        self._valid_until = sent + self._lease_seconds - self._renew_seconds
        self._seen = None
        self._held.set()
        log.info(
            "outbox lease taken",
            holder=self.holder,
            token=token,
            previous=previous,
            silent_seconds=silent_seconds,
        )

    def _lose(self, why: str) -> None:
        if self._token is not None:
            log.warning("outbox lease lost", holder=self.holder, token=self._token, why=why)
        self._token = None
        self._held.clear()
