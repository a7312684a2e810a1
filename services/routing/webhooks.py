"""Delivering applications to agencies that take them by webhook.

Routing stores a delivery in MongoDB in the same transaction that routes the
application; a background task polls the deliveries that are due (an index on state and
due time) and POSTs each one, signed (:mod:`services.routing.signing`). So a delivery
survives a restart, and two routing processes never send the same attempt: each claims
a delivery by moving its due time past the attempt before sending.

Every attempt is recorded with its outcome. A failed attempt is retried on the
configured schedule (``MPP_WEBHOOK_RETRY_SCHEDULE``, stretched by a random jitter so a
recovering agency is not hit by every retry at once); after the last one the delivery
is ``failed``: the application shows ``delivery_state: failed`` to operators, a
dead-letter record is written and the agency's supervisor is escalated to.

The body is the event as a CloudEvent in the HTTP binding's structured mode
(``content-type: application/cloudevents+json``), the same bytes as on a Kafka inbox;
a delivery stored before events were CloudEvents keeps its body and goes as
``application/json``.
"""

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import structlog
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.announcements import envelope
from services.routing.applications import ApplicationRepository
from services.routing.handler_kinds.kind import AgencyBound
from services.routing.signing import signature_headers
from services.routing.targets import UnsafeTarget, check_target
from shared.catalogue import Catalogue
from shared.events import (
    CONTENT_TYPE,
    DeadLetterData,
    DeadLettered,
    DeliveryFailureData,
    Event,
    WebhookDeliveryFailed,
    encode,
    utcnow,
)
from shared.polling import PollingLoop
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["WebhookDeliveries", "forget_deliveries", "reopen_failed"]

log = structlog.get_logger(__name__)

_CONCURRENCY = 20


async def reopen_failed(
    db: AsyncDatabase,
    delivery_id: str,
    *,
    operator: str,
    previous: int,
    now: datetime,
    session: AsyncClientSession,
) -> bool:
    """A ``failed`` delivery ``pending`` and due now again, for an operator's redelivery;
    False when it is no longer ``failed`` (only one of two operators at once moves it)."""
    moved = await db["deliveries"].update_one(
        {"_id": delivery_id, "state": "failed"},
        {
            "$set": {
                "state": "pending",
                "due_at": now,
                # Where the new cycle starts: the retry schedule counts from here.
                "attempts_before_redelivery": previous,
            },
            "$unset": {"finished_at": ""},
            "$push": {"redeliveries": {"at": now, "operator": operator}},
        },
        session=session,
    )
    return moved.modified_count == 1


async def forget_deliveries(db: AsyncDatabase, application_ids: list[Any]) -> None:
    """The deliveries of applications past their retention period."""
    await db["deliveries"].delete_many({"application_id": {"$in": application_ids}})


def content_type(body: bytes) -> str:
    """The ``content-type`` of a stored body: a structured-mode CloudEvent, or the plain
    JSON event of a delivery stored before events were CloudEvents."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "application/json"
    return (
        CONTENT_TYPE
        if isinstance(document, dict) and "specversion" in document
        else ("application/json")
    )


@dataclass
class _Outcome:
    delivered: bool
    outcome: str
    status_code: int | None = None
    error: str | None = None


@dataclass
class WebhookDeliveries:
    settings: Settings
    catalogue: Catalogue
    units: UnitsOfWork
    db: AsyncDatabase
    topics: Topics

    def __post_init__(self) -> None:
        self._loop = PollingLoop("webhook delivery", self.settings.webhook_poll_seconds)

    @property
    def _deliveries(self) -> Any:
        return self.db["deliveries"]

    @property
    def _applications(self) -> ApplicationRepository:
        return ApplicationRepository(self.db)

    async def create_indexes(self) -> None:
        await self._deliveries.create_index([("state", ASCENDING), ("due_at", ASCENDING)])
        await self._deliveries.create_index("application_id")

    async def schedule(self, dispatched: AgencyBound, session: AsyncClientSession) -> None:
        """Store the delivery inside the routing transaction; the first attempt is due now.
        Every event the agency receives goes this way: the application, and later the
        citizen's answers and cancellation (in the order they were scheduled)."""
        now = utcnow()
        await self._deliveries.insert_one(
            {
                "_id": dispatched.id,  # the webhook-id: the same on every retry
                "application_id": dispatched.subject,
                "agency": dispatched.data.agency,
                "body": encode(dispatched),
                "state": "pending",
                "due_at": now,
                "attempts": [],
                "created_at": now,
            },
            session=session,
        )

    async def in_state(self, state: str, limit: int = 200) -> list[dict]:
        """The latest ``limit`` deliveries in ``state``, newest first (``mpp agency
        deliveries``: which failed, for an operator to redeliver)."""
        rows = self._deliveries.find({"state": state}).sort("created_at", -1)
        return await rows.to_list(limit)

    def wake(self) -> None:
        self._loop.wake()

    def stop(self) -> None:
        self._loop.stop()

    async def run(self) -> None:
        """Deliver due webhooks until stopped; keeps going through outages."""
        async with httpx.AsyncClient(
            timeout=self.settings.webhook_timeout_seconds, follow_redirects=False
        ) as client:
            await self._loop.run(partial(self.deliver_due, client))

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Claim and attempt up to a handful of due deliveries; returns how many."""
        claimed = []
        for _ in range(_CONCURRENCY):
            delivery = await self._claim()
            if delivery is None:
                break
            claimed.append(delivery)
        await asyncio.gather(*(self._attempt(client, delivery) for delivery in claimed))
        return len(claimed)

    async def _claim(self) -> dict | None:
        now = utcnow()
        lease = timedelta(seconds=self.settings.webhook_timeout_seconds + 30)
        return await self._deliveries.find_one_and_update(
            {"state": "pending", "due_at": {"$lte": now}},
            {"$set": {"due_at": now + lease}},
            sort=[("due_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def endpoint(self, agency_code: str) -> str | None:
        override = self.settings.webhook_urls.get(agency_code)
        if override:
            return override
        agency = self.catalogue.agency(agency_code)
        return agency.handler.url if agency else None

    async def _send(self, client: httpx.AsyncClient, delivery: dict) -> _Outcome:
        agency = delivery["agency"]
        url = self.endpoint(agency)
        secret = self.settings.webhook_secrets.get(agency)
        if url is None:
            return _Outcome(False, "no_endpoint", error=f"agency {agency} has no webhook URL")
        if secret is None:
            return _Outcome(
                False,
                "no_secret",
                error=f"no signing secret for {agency}: set it in MPP_WEBHOOK_SECRETS",
            )
        try:
            await check_target(url, allow_private=self.settings.webhook_allow_private_targets)
        except UnsafeTarget as exc:
            return _Outcome(False, "refused", error=str(exc))
        body = delivery["body"]
        headers = signature_headers(
            secret.get_secret_value(), delivery["_id"], int(time.time()), body
        )
        headers["content-type"] = content_type(body)
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return _Outcome(False, "timeout", error="no answer within the timeout")
        except httpx.HTTPError as exc:
            return _Outcome(False, "connection_error", error=f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= response.status_code < 300:
            return _Outcome(True, "delivered", response.status_code)
        if 300 <= response.status_code < 400:
            return _Outcome(False, "redirect", response.status_code, "redirects are not followed")
        return _Outcome(False, "http_error", response.status_code, response.text[:300])

    async def _attempt(self, client: httpx.AsyncClient, delivery: dict) -> None:
        started = time.monotonic()
        result = await self._send(client, delivery)
        now = utcnow()
        number = len(delivery["attempts"]) + 1
        record = {
            "number": number,
            "at": now,
            "outcome": result.outcome,
            "status_code": result.status_code,
            "error": result.error,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        log.info(
            "webhook attempt",
            application_id=delivery["application_id"],
            agency=delivery["agency"],
            attempt=number,
            outcome=result.outcome,
            status_code=result.status_code,
        )
        delays = self.settings.webhook_retry_delays()
        # Attempts are numbered over the delivery's life, but the retry schedule counts
        # from the last operator redelivery (`mpp agency redeliver`), so a redelivered
        # delivery gets the full schedule again.
        in_cycle = number - delivery.get("attempts_before_redelivery", 0)
        if result.delivered:
            await self._finish(delivery, record, "delivered")
        elif in_cycle <= len(delays):
            stretch = 1 + random.uniform(0, self.settings.webhook_retry_jitter)
            due = now + timedelta(seconds=delays[in_cycle - 1] * stretch)
            await self._deliveries.update_one(
                {"_id": delivery["_id"]},
                {
                    "$push": {"attempts": record},
                    "$set": {"due_at": due, "last_error": result.error},
                },
            )
        else:
            await self._fail(delivery, record)

    async def _finish(self, delivery: dict, record: dict, state: str) -> None:
        await self._deliveries.update_one(
            {"_id": delivery["_id"]},
            {"$push": {"attempts": record}, "$set": {"state": state, "finished_at": record["at"]}},
        )
        await self._applications.set_delivery_state(delivery["application_id"], state)

    async def _fail(self, delivery: dict, record: dict) -> None:
        """The last attempt failed: terminal, visible state, dead letter, escalation."""
        attempts = record["number"]
        agency_code = delivery["agency"]
        agency = self.catalogue.agency(agency_code)
        url = self.endpoint(agency_code) or ""
        reason = (
            f"webhook delivery to {agency_code} failed {attempts} times; last: "
            f"{record['outcome']} {record['error'] or record['status_code'] or ''}".strip()
        )

        async def write(tx: Transaction) -> None:
            await self._deliveries.update_one(
                {"_id": delivery["_id"]},
                {
                    "$push": {"attempts": record},
                    "$set": {"state": "failed", "finished_at": record["at"], "last_error": reason},
                },
                session=tx.session,
            )
            application = await self._applications.set_delivery_state(
                delivery["application_id"], "failed", tx.session
            )
            if application is None:
                return
            for topic, event in self._failure_events(
                delivery, application, agency, url, attempts, reason, record
            ):
                tx.emit(topic, event)

        await self.units.run(write)
        log.warning(
            "webhook delivery failed for good",
            application_id=delivery["application_id"],
            agency=agency_code,
            attempts=attempts,
        )

    def _failure_events(
        self,
        delivery: dict,
        application: dict,
        agency: Any,
        url: str,
        attempts: int,
        reason: str,
        record: dict,
    ) -> list[tuple[str, Event]]:
        escalate_to = [agency.supervisor_email] if agency else []
        if self.settings.escalation_cc_email:
            escalate_to.append(self.settings.escalation_cc_email)
        around = envelope(application, delivery["_id"])
        failed = WebhookDeliveryFailed(
            **around,
            data=DeliveryFailureData(
                application_id=application["_id"],
                tracking_number=application["tracking_number"],
                service=application["service"],
                region=application["region"],
                agency=delivery["agency"],
                status=application["status"],
                sla_due_at=application.get("sla_due_at"),
                escalate_to=escalate_to,
                reason=reason,
                delivery_id=delivery["_id"],
                endpoint_host=urlsplit(url).hostname or "",
                attempts=attempts,
                last_error=(record["error"] or str(record["status_code"]))[:300],
            ),
        )
        letter = DeadLettered(
            **around,
            data=DeadLetterData(
                topic=f"webhook:{delivery['agency']}",
                partition=-1,  # not read from Kafka: a webhook delivery
                offset=-1,
                consumer_group="routing.webhooks",
                reason=reason,
                attempts=attempts,
                payload=delivery["body"].decode("utf-8", errors="replace"),
            ),
        )
        return [(self.topics.escalations, failed), (self.topics.deadletter, letter)]
