"""How long a consumer must remember the events it applied.

A consumer recognises a redelivered event by its id, so it has to remember that id for
as long as the event can come again: while the broker keeps the record (a restarted
consumer, a rebalance, an offset reset all read it again). The memory expires after
``MPP_DEDUPE_RETENTION_DAYS``; forgetting sooner than the topics' retention would let
an old event be applied twice, so a service checks the two at start-up and warns.

The topics' retention is asked from the broker (``retention.ms`` of the topics the
service reads); a broker that does not say (the local one) is taken to keep records
``MPP_KAFKA_RETENTION_DAYS``.
"""

from collections.abc import Sequence

import structlog
from aiokafka.errors import KafkaError

from shared.kafka import topic_retention_ms
from shared.settings import Settings

__all__ = ["DAY_MS", "check_dedupe_window", "dedupe_window_problem"]

log = structlog.get_logger(__name__)

DAY_MS = 86_400_000


def dedupe_window_problem(dedupe_days: int, retention_ms: int) -> str | None:
    """Why a dedupe window of ``dedupe_days`` is too short for topics that keep records
    ``retention_ms`` (-1: forever), or None when it covers them."""
    if retention_ms < 0:
        return (
            f"the topics keep records forever, so an event older than {dedupe_days} days "
            "can be read again after its id was forgotten; give the topics a retention"
        )
    if dedupe_days * DAY_MS < retention_ms:
        return (
            f"MPP_DEDUPE_RETENTION_DAYS={dedupe_days} is shorter than the topics' retention "
            f"({retention_ms / DAY_MS:g} days): an event read again after {dedupe_days} days "
            "would be applied twice; set it to the retention plus a week"
        )
    return None


async def check_dedupe_window(settings: Settings, topics: Sequence[str]) -> str | None:
    """Warn (and return why) when the dedupe window is shorter than the retention of
    ``topics``; the broker's answer wins over ``MPP_KAFKA_RETENTION_DAYS``."""
    reported: int | None = None
    try:
        reported = await topic_retention_ms(settings, topics)
    except (KafkaError, OSError, TimeoutError) as exc:
        log.info("topic retention not reported by the broker", error=str(exc)[:200])
    retention_ms = reported if reported is not None else int(settings.kafka_retention_days * DAY_MS)
    problem = dedupe_window_problem(settings.dedupe_retention_days, retention_ms)
    if problem is not None:
        log.warning(
            "dedupe window shorter than the topics' retention",
            detail=problem,
            retention_from="broker" if reported is not None else "MPP_KAFKA_RETENTION_DAYS",
        )
    return problem
