"""The in-app inbox: every notice a citizen was sent, newest first, read or unread.

A notice's ``_id`` is ``<application>:<status sequence>:in_app``: a redelivered status
change hits the unique ``_id`` and changes nothing, so each change produces exactly one
notice even across restarts. The inbox gets every notice whatever the citizen's other
channels are — it is the account's own record of what it was told.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.templates import Rendered, StatusNotice
from shared.events import StatusChangedData, utcnow
from shared.mongo import find_in

__all__ = ["InboxStore", "Subject", "in_app_document", "in_app_id", "other_notice", "public_view"]


def in_app_id(application_id: str, sequence: int) -> str:
    return f"{application_id}:{sequence}:in_app"


def in_app_document(
    change: StatusChangedData, rendered: Rendered, now: datetime, notice: StatusNotice
) -> dict[str, Any]:
    """The inbox's copy of a notice, with the links it carries (absolute) and the
    application's region, whose zone the inbox writes its time in."""
    return {
        "_id": in_app_id(change.application_id, change.sequence),
        "citizen_id": change.citizen_id,
        "application_id": change.application_id,
        "tracking_number": change.tracking_number,
        "service": change.service,
        "region": change.region,
        "status": change.to_status,
        "status_sequence": change.sequence,
        "template": rendered.template,
        "template_version": rendered.version,
        "language": rendered.language,
        "title": rendered.subject,
        "body": rendered.text,
        "note": change.note,
        "application_url": notice.application_url,
        "survey": notice.survey_url,
        "delivery_status": "delivered",
        "created_at": now,
        "read_at": None,
    }


@dataclass(frozen=True)
class Subject:
    """What a notice that is no status change is about, in the inbox's terms: the
    reference stands where an application id does, the label where its tracking number
    does (a booking code, a ticket number, a complaint's application or service)."""

    citizen_id: str | None
    reference: str
    label: str
    service: str
    region: str


def other_notice(
    notice_id: str, subject: Subject, rendered: Rendered, link: str | None
) -> dict[str, Any]:
    """The inbox's copy of a notice of the queue or a complaint: the inbox shows it
    beside status notices, with the rendered words and where it leads."""
    return {
        "_id": notice_id,
        "citizen_id": subject.citizen_id,
        "application_id": subject.reference,
        "tracking_number": subject.label,
        "service": subject.service,
        "region": subject.region,
        "status": rendered.template,
        "status_sequence": 0,
        "template": rendered.template,
        "template_version": rendered.version,
        "language": rendered.language,
        "title": rendered.subject,
        "body": rendered.text,
        "note": None,
        "application_url": link,
        "survey": None,
        "delivery_status": "delivered",
        "created_at": utcnow(),
        "read_at": None,
    }


def public_view(notice: dict[str, Any]) -> dict[str, Any]:
    """What the citizen's app sees of a notice."""
    return {
        "id": notice["_id"],
        "application_id": notice["application_id"],
        "tracking_number": notice["tracking_number"],
        "service": notice["service"],
        "region": notice.get("region"),
        "status": notice["status"],
        "status_sequence": notice["status_sequence"],
        "language": notice.get("language", "id"),
        "title": notice.get("title"),
        "body": notice.get("body"),
        "application_url": notice.get("application_url"),
        "survey": _page_link(notice.get("survey")),
        "created_at": notice["created_at"],
        "read_at": notice.get("read_at"),
    }


def _page_link(survey: str | None) -> str | None:
    """The survey page; a notice stored before notices linked pages held the API path,
    which is no page to open."""
    if survey and survey.startswith("/api/"):
        return None
    return survey


class InboxStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.notices = db["notifications"]

    async def create_indexes(self) -> None:
        await self.notices.create_index([("citizen_id", 1), ("created_at", -1), ("_id", -1)])

    async def add(self, notices: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """New notices, inside the transaction that raises their events (a notice stored
        already aborts it with a duplicate key: see :func:`shared.mongo.insert_first`)."""
        await self.notices.insert_many(notices, session=session)

    async def stored(self, notice_ids: list[str], session: AsyncClientSession) -> set[str]:
        """Which of ``notice_ids`` are stored already (a redelivered status change)."""
        found = await find_in(self.notices, "_id", notice_ids, {"_id": 1}, session=session)
        return {d["_id"] for d in found}

    async def page(self, citizen_id: str, page: int, size: int) -> tuple[list[dict], int, int]:
        """One page of the citizen's notices, newest first, how many there are in all,
        and how many of them are unread (on every page, for the app's badge)."""
        found = (
            await self.notices.find({"citizen_id": citizen_id})
            .sort([("created_at", -1), ("_id", -1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
        )
        total = await self.notices.count_documents({"citizen_id": citizen_id})
        unread = await self.notices.count_documents({"citizen_id": citizen_id, "read_at": None})
        return found, total, unread

    async def mark_read(self, citizen_id: str, notice_id: str, now: datetime) -> dict | None:
        """Mark read (the first read time is kept); None when not this citizen's notice."""
        await self.notices.update_one(
            {"_id": notice_id, "citizen_id": citizen_id, "read_at": None},
            {"$set": {"read_at": now}},
        )
        return await self.notices.find_one({"_id": notice_id, "citizen_id": citizen_id})
