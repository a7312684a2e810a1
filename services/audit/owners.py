"""Whose personal data an event holds: the citizen its sealed values may be opened for.

A reader of the log opens an event's sealed values only with the key of the citizen the
event is about (:meth:`shared.privacy.personal.Personal.open_all`), never with whatever
key a value names: a value sealed for another citizen — pasted into a form, or written
into a topic by someone who should not — stays shut. The citizen is the one the event
names (``data.citizen_id``: submissions, a citizen's actions, account events), else the
one who submitted the application it is about (its ``application.submitted`` record).
"""

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["named_citizen", "owners_of"]


def named_citizen(event: Any) -> str | None:
    """The citizen an event names itself, if any."""
    data = event.get("data") if isinstance(event, Mapping) else None
    citizen = data.get("citizen_id") if isinstance(data, Mapping) else None
    return citizen if isinstance(citizen, str) else None


async def owners_of(db: AsyncDatabase, views: list[dict[str, Any]]) -> list[str | None]:
    """For each record view (:func:`services.audit.queries.record_view`), its citizen."""
    named = [named_citizen(view["event"]) for view in views]
    unnamed = {
        view["application_id"]
        for view, citizen in zip(views, named, strict=True)
        if citizen is None and view.get("application_id")
    }
    submitters: dict[str, str] = {}
    if unnamed:
        found = db["records"].find(
            {"type": "application.submitted", "subject": {"$in": sorted(unnamed)}},
            {"subject": 1, "citizen_id": 1},
        )
        async for record in found:
            if isinstance(record.get("citizen_id"), str):
                submitters[record["subject"]] = record["citizen_id"]
    return [
        citizen or submitters.get(view.get("application_id") or "")
        for view, citizen in zip(views, named, strict=True)
    ]
