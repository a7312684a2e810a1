"""The record of a read of personal data: one ``application.accessed`` event, built here.

Citizens see who read their application or their records, and why (the Data Tracker
idea): an officer opening an application or one of its documents, an agency moving its
status, an auditor opening a history. Routing, intake and audit each record such reads;
the event they publish is built by :func:`data_accessed` alone, so its subject, its
actor and its purpose are filled the same way whichever service saw the read.
"""

from shared.events import AccessData, ActorKind, DataAccessed

__all__ = ["data_accessed"]


def data_accessed(
    source: str,
    *,
    actor_kind: ActorKind,
    actor_id: str,
    purpose: str,
    region: str | None,
    correlation_id: str,
    application_id: str | None = None,
    citizen_id: str | None = None,
    agency: str | None = None,
    causation_id: str | None = None,
) -> DataAccessed:
    """The event recording that ``actor_id`` read one application (``application_id``)
    or one citizen's records (``citizen_id``) for ``purpose`` — a bilingual
    "<Bahasa Indonesia> / <English>" phrase the citizen reads in their access log. Its
    subject is what was read, so the record lands in that application's (or citizen's)
    history."""
    subject = application_id or citizen_id
    if subject is None:
        raise ValueError("a read is of an application or of a citizen's records")
    return DataAccessed(
        source=source,
        subject=subject,
        region=region,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=AccessData(
            application_id=application_id,
            citizen_id=citizen_id,
            actor_kind=actor_kind,
            actor_id=actor_id,
            agency=agency,
            purpose=purpose,
        ),
    )
