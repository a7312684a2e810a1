"""SKM survey invitations and answers, and the IKM index per service, agency and region.

Notify owns the survey: it already learns when an application is ``completed`` (the
moment the citizen is invited) and whose it is, and nothing else needs the answers
before they are published. An invitation is stored with the completion notice; the
citizen answers once (the invitation's ``answered_at`` is set in the same transaction
as the ``SurveyAnswered`` event is staged and the running totals are incremented), so
the index is read from three small totals documents instead of scanning every answer.
"""

from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.skm import ELEMENTS, ikm
from shared.events import StatusChangedData, SurveyAnswered, SurveyData, utcnow
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.topics import Topics

__all__ = ["GROUPS", "AlreadyAnswered", "NotInvited", "SurveyStore", "survey_path"]

GROUPS = ("service", "agency", "region")


class NotInvited(LookupError):
    """No survey for this application is open to this citizen."""


class AlreadyAnswered(ValueError):
    """The application's survey was answered before; one answer per application."""


def survey_path(application_id: str) -> str:
    return f"/api/v1/surveys/{application_id}"


@dataclass
class SurveyStore:
    mongo: AsyncMongoClient
    db: AsyncDatabase
    outbox: Outbox
    topics: Topics

    def __post_init__(self) -> None:
        self._surveys = self.db["surveys"]
        self._totals = self.db["ikm_totals"]

    async def create_indexes(self) -> None:
        await self._totals.create_index([("group", 1), ("key", 1)])

    async def invite(self, change: StatusChangedData, session: AsyncClientSession) -> None:
        """Open the survey for a completed application (once; a repeat changes nothing)."""
        await self._surveys.update_one(
            {"_id": change.application_id},
            {
                "$setOnInsert": {
                    "citizen_id": change.citizen_id,
                    "service": change.service,
                    "agency": change.agency,
                    "region": change.region,
                    "tracking_number": change.tracking_number,
                    "invited_at": utcnow(),
                    "answered_at": None,
                }
            },
            upsert=True,
            session=session,
        )

    async def invitation(self, application_id: str, citizen_id: str) -> dict[str, Any]:
        survey = await self._surveys.find_one({"_id": application_id})
        if survey is None or survey["citizen_id"] != citizen_id:
            raise NotInvited(application_id)
        return survey

    async def answer(
        self, application_id: str, citizen_id: str, scores: list[int], correlation_id: str
    ) -> SurveyData:
        """Accept the citizen's one answer, publish it, and count it in the index."""

        async def work(session: AsyncClientSession) -> SurveyData:
            survey = await self._surveys.find_one({"_id": application_id}, session=session)
            if survey is None or survey["citizen_id"] != citizen_id:
                raise NotInvited(application_id)
            if survey.get("answered_at") is not None:
                raise AlreadyAnswered(application_id)
            now = utcnow()
            data = SurveyData(
                application_id=application_id,
                service=survey["service"],
                agency=survey.get("agency"),
                region=survey["region"],
                scores=scores,
                answered_at=now,
            )
            marked = await self._surveys.update_one(
                {"_id": application_id, "answered_at": None},
                {"$set": {"answered_at": now, "scores": scores}},
                session=session,
            )
            if marked.modified_count != 1:  # a concurrent answer got there first
                raise AlreadyAnswered(application_id)
            increments = {"respondents": 1}
            increments |= {
                code: score for (code, _, _), score in zip(ELEMENTS, scores, strict=True)
            }
            for group in GROUPS:
                key = survey.get(group)
                if key:
                    await self._totals.update_one(
                        {"_id": f"{group}:{key}"},
                        {"$inc": increments, "$setOnInsert": {"group": group, "key": key}},
                        upsert=True,
                        session=session,
                    )
            event = SurveyAnswered(
                source="notify",
                subject=application_id,
                region=survey["region"],
                correlation_id=correlation_id,
                data=data,
            )
            await self.outbox.stage([(self.topics.notifications, event)], session)
            return data

        data = await in_transaction(self.mongo, work)
        self.outbox.wake()
        return data

    async def index(self, group_by: str) -> list[dict[str, Any]]:
        """The IKM of every service (or agency, or region) with at least one answer."""
        rows = []
        async for totals in self._totals.find({"group": group_by}).sort("key", 1):
            result = ikm(totals["respondents"], [totals.get(code, 0) for code, _, _ in ELEMENTS])
            if result is None:
                continue
            rows.append(
                {
                    group_by: totals["key"],
                    "respondents": result.respondents,
                    "element_means": result.element_means,
                    "ikm": result.index,
                    "grade": result.grade,
                    "performance": {"id": result.performance_id, "en": result.performance_en},
                }
            )
        return rows
