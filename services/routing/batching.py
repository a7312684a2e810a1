"""Routing's subscriber for submitted applications: one poll's worth at a time.

Valid submissions of a poll are routed together in one MongoDB transaction
(:meth:`Router.route_batch`). Anything else — a record that is not a valid event, or not
a submission — goes through the common :class:`EventProcessor`, which dead-letters it
with the reason. If the batch transaction fails, its records are routed one at a time
through the processor, so one bad application gets the usual bounded retries and its
dead-letter record while the others are routed.
"""

from collections.abc import Sequence

import structlog
from aiokafka import ConsumerRecord

from services.routing.dispatch import Router
from shared.consuming import EventProcessor
from shared.events import ApplicationSubmitted, InvalidEvent, decode

__all__ = ["SubmissionBatches"]

log = structlog.get_logger(__name__)


class SubmissionBatches:
    def __init__(self, router: Router, processor: EventProcessor) -> None:
        self._router = router
        self._processor = processor

    async def __call__(self, records: Sequence[ConsumerRecord]) -> None:
        submissions: list[tuple[ApplicationSubmitted, ConsumerRecord]] = []
        for record in records:
            try:
                event = decode(record.value or b"")
            except InvalidEvent:
                event = None
            if isinstance(event, ApplicationSubmitted):
                submissions.append((event, record))
            else:
                await self._processor.process(record)  # dead-lettered with the reason
        if not submissions:
            return
        try:
            await self._router.route_batch(submissions)
        except Exception as exc:
            log.warning(
                "routing the batch failed; routing one at a time",
                error=type(exc).__name__,
                count=len(submissions),
            )
            for _, record in submissions:
                await self._processor.process(record)
