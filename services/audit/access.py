"""Recording who read an application, or a citizen's records: an ``application.accessed``
event on the access topic, which audit's own consumer then appends to the chained log
like any other, and the citizen's access log shows.

The event is published and acknowledged *before* the data is returned: a read that
cannot be recorded is refused, so the citizen's access log has no gaps.
"""

from faststream.kafka import KafkaBroker

from shared.correlation import current_correlation_id
from shared.events import CONTENT_TYPE, AccessData, DataAccessed, encode

__all__ = ["record_access"]


async def record_access(
    broker: KafkaBroker,
    topic: str,
    *,
    application_id: str | None = None,
    citizen_id: str | None = None,
    region: str | None,
    actor_kind: str,
    actor_id: str,
    purpose: str,
) -> DataAccessed:
    """Record a read of one application, or of one citizen's records (``citizen_id``)."""
    subject = application_id or citizen_id
    if subject is None:
        raise ValueError("a read is of an application or of a citizen's records")
    event = DataAccessed(
        source="audit",
        subject=subject,
        region=region,
        correlation_id=current_correlation_id(),
        data=AccessData(
            application_id=application_id,
            citizen_id=citizen_id,
            actor_kind=actor_kind,  # type: ignore[arg-type]
            actor_id=actor_id,
            purpose=purpose,
        ),
    )
    await broker.publish(
        encode(event),
        topic,
        key=subject.encode(),
        headers={"content-type": CONTENT_TYPE, "event-type": event.type, "event-id": event.id},
    )
    return event
