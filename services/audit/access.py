"""Recording who read an application, or a citizen's records: an ``application.accessed``
event on the access topic, which audit's own consumer then appends to the chained log
like any other, and the citizen's access log shows.

The event is published and acknowledged *before* the data is returned: a read that
cannot be recorded is refused, so the citizen's access log has no gaps.
"""

from faststream.kafka import KafkaBroker

from shared.correlation import current_correlation_id
from shared.events import ActorKind, DataAccessed, encode
from shared.kafka import event_headers
from shared.privacy.access import data_accessed

__all__ = ["record_access"]


async def record_access(
    broker: KafkaBroker,
    topic: str,
    *,
    application_id: str | None = None,
    citizen_id: str | None = None,
    region: str | None,
    actor_kind: ActorKind,
    actor_id: str,
    purpose: str,
) -> DataAccessed:
    """Record a read of one application, or of one citizen's records (``citizen_id``)."""
    event = data_accessed(
        "audit",
        application_id=application_id,
        citizen_id=citizen_id,
        region=region,
        correlation_id=current_correlation_id(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        purpose=purpose,
    )
    await broker.publish(
        encode(event),
        topic,
        key=event.subject.encode(),
        headers=event_headers(event.type, event.id),
    )
    return event
