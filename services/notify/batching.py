"""Notify's subscriber: one poll's status changes notified together.

Records are taken in the order they were read. Consecutive valid status changes are
gathered and notified in one transaction (:meth:`Notices.notify_batch`); anything else —
a contacts change, an escalation, a record that is not a valid event — first closes the
gathered run and then goes through the common :class:`EventProcessor` on its own, so a
notice never uses contacts older than a contacts change read before it. If a run's
transaction fails, its records are notified one at a time through the processor, so one
bad change gets the usual bounded retries and its dead-letter record while the others
are notified.
"""

from collections.abc import Sequence

import structlog
from aiokafka import ConsumerRecord

from services.notify.notices import Notices
from shared.consuming import EventProcessor
from shared.events import InvalidEvent, StatusChanged, decode

__all__ = ["StatusBatches"]

log = structlog.get_logger(__name__)


class StatusBatches:
    def __init__(self, notices: Notices, processor: EventProcessor) -> None:
        self._notices = notices
        self._processor = processor

    async def __call__(self, records: Sequence[ConsumerRecord]) -> None:
        run: list[tuple[StatusChanged, ConsumerRecord]] = []
        for record in records:
            try:
                event = decode(record.value or b"")
            except InvalidEvent:
                event = None
            if isinstance(event, StatusChanged):
                run.append((event, record))
                continue
            await self._notify(run)
            run = []
            await self._processor.process(record)
        await self._notify(run)

    async def _notify(self, run: list[tuple[StatusChanged, ConsumerRecord]]) -> None:
        if not run:
            return
        try:
            await self._notices.notify_batch([event for event, _ in run])
        except Exception as exc:
            log.warning(
                "notifying the batch failed; notifying one at a time",
                error=type(exc).__name__,
                count=len(run),
            )
            for _, record in run:
                await self._processor.process(record)
