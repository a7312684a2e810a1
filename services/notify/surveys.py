"""SKM survey invitations and anonymous answers, and the IKM index per service, agency
and region.

Notify owns the survey: it already learns when an application is ``completed`` (the
moment the citizen is invited) and whose it is. The invitation (collection ``surveys``)
says who may answer for which application; the answer must not say who gave it, so it
is kept apart and carries no id:

* ``survey_answers`` holds each answer as the service, agency and region it rates, the
  month (not the moment: an exact time could be matched against other records) and the
  nine scores, under a random id;
* ``survey_tokens`` holds, per answered application, ``HMAC(MPP_SURVEY_TOKEN_SECRET,
  application id)``: a one-way token whose unique ``_id`` refuses a second answer for the
  same application, with no time and nothing else;
* the invitation is not touched by answering, and the ``SurveyAnswered`` event carries
  neither the application nor the citizen (its subject and key are the service).

The token, the answer, the IKM totals and the event are written in one transaction, so
the index is read from three small totals documents instead of scanning every answer.
Someone holding the secret can tell *whether* an application's survey was answered
(the API does, to its owner), never *what* was answered.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.skm import ELEMENTS, ikm
from shared.errors import Rejected
from shared.events import QueueData, StatusChangedData, SurveyAnswered, SurveyData, utcnow
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork
from shared.walk_in_survey import WALK_IN_SURVEY_DAYS, code_matches

__all__ = [
    "GROUPS",
    "AlreadyAnswered",
    "NotInvited",
    "SurveyStore",
    "answer_token",
]

GROUPS = ("service", "agency", "region")


class NotInvited(Rejected, LookupError):
    """No survey for this application is open to this citizen."""


class AlreadyAnswered(Rejected, ValueError):
    """The application's survey was answered before; one answer per application."""


def answer_token(secret: SecretStr, application_id: str) -> str:
    """The one-way token standing for "this application's survey was answered"."""
    key = secret.get_secret_value().encode()
    return hmac.new(key, application_id.encode(), hashlib.sha256).hexdigest()


def _invited(survey: dict[str, Any], citizen_id: str | None) -> bool:
    return citizen_id is None or survey["citizen_id"] == citizen_id


@dataclass
class SurveyStore:
    units: UnitsOfWork
    db: AsyncDatabase
    topics: Topics
    secret: SecretStr

    def __post_init__(self) -> None:
        self._surveys = self.db["surveys"]
        self._tokens = self.db["survey_tokens"]
        self._answers = self.db["survey_answers"]
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
                }
            },
            upsert=True,
            session=session,
        )

    async def invite_ticket(self, data: QueueData, session: AsyncClientSession) -> None:
        """Open the survey of a ticket served at the MPP's counter, under the ticket's id
        (once; a repeat changes nothing)."""
        await self._surveys.update_one(
            {"_id": data.ticket},
            {
                "$setOnInsert": {
                    "citizen_id": data.citizen_id,
                    "service": data.service,
                    "agency": None,
                    "region": data.region,
                    "tracking_number": data.number,
                    "invited_at": utcnow(),
                }
            },
            upsert=True,
            session=session,
        )

    async def invite_walk_in(self, data: QueueData, served_at: datetime) -> None:
        """Open the survey of a walk-in's served ticket for the code printed on it (its
        digest only), until :data:`WALK_IN_SURVEY_DAYS` after serving (once)."""
        await self._surveys.update_one(
            {"_id": data.ticket},
            {
                "$setOnInsert": {
                    "citizen_id": None,
                    "service": data.service,
                    "agency": None,
                    "region": data.region,
                    "tracking_number": data.number,
                    "invited_at": utcnow(),
                    "walk_in_digest": data.survey_digest,
                    "walk_in_until": served_at + timedelta(days=WALK_IN_SURVEY_DAYS),
                }
            },
            upsert=True,
        )

    async def walk_in_code_valid(self, ticket_id: str, code: str) -> bool:
        """Whether ``code`` is the one printed on this walk-in's ticket and still open."""
        survey = await self._surveys.find_one({"_id": ticket_id})
        if survey is None or not survey.get("walk_in_digest"):
            return False
        until = survey["walk_in_until"]
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return utcnow() < until and code_matches(ticket_id, code, survey["walk_in_digest"])

    async def invitation(self, application_id: str, citizen_id: str | None) -> dict[str, Any]:
        """The caller's invitation, with ``answered`` (from the token, not the invitation).
        ``citizen_id`` None: the caller holds the survey link's token, which names this
        application and no other."""
        survey = await self._surveys.find_one({"_id": application_id})
        if survey is None or not _invited(survey, citizen_id):
            raise NotInvited(application_id)
        token = answer_token(self.secret, application_id)
        answered = await self._tokens.find_one({"_id": token}, {"_id": 1}) is not None
        return {**survey, "answered": answered or survey.get("answered_at") is not None}

    async def answer(
        self, application_id: str, citizen_id: str | None, scores: list[int]
    ) -> SurveyData:
        """Accept the citizen's one answer (``citizen_id`` None: by the survey link's
        token), store and publish it without any id, and count it in the index."""

        async def write(tx: Transaction) -> SurveyData:
            survey = await self._surveys.find_one({"_id": application_id}, session=tx.session)
            if survey is None or not _invited(survey, citizen_id):
                raise NotInvited(application_id)
            if survey.get("answered_at") is not None:  # answered before tokens existed
                raise AlreadyAnswered(application_id)
            try:
                await self._tokens.insert_one(
                    {"_id": answer_token(self.secret, application_id)}, session=tx.session
                )
            except DuplicateKeyError:
                raise AlreadyAnswered(application_id) from None
            data = SurveyData(
                service=survey["service"],
                agency=survey.get("agency"),
                region=survey["region"],
                month=utcnow().strftime("%Y-%m"),
                scores=scores,
            )
            await self._answers.insert_one(
                {"_id": uuid.uuid4().hex, **data.model_dump()}, session=tx.session
            )
            await self._count(survey, scores, tx.session)
            event = SurveyAnswered(
                source="notify",
                subject=data.service,
                region=data.region,
                correlation_id=uuid.uuid4().hex,  # not the request's: it would link back
                data=data,
            )
            tx.emit(self.topics.notifications, event)
            return data

        return await self.units.run(write)

    async def _count(
        self, survey: dict[str, Any], scores: list[int], session: AsyncClientSession
    ) -> None:
        increments = {"respondents": 1}
        increments |= {code: score for (code, _, _), score in zip(ELEMENTS, scores, strict=True)}
        for group in GROUPS:
            key = survey.get(group)
            if key:
                await self._totals.update_one(
                    {"_id": f"{group}:{key}"},
                    {"$inc": increments, "$setOnInsert": {"group": group, "key": key}},
                    upsert=True,
                    session=session,
                )

    async def separate_old_answers(self, batch: int = 500) -> int:
        """Answers stored before they were anonymous sat on the invitation (scores and the
        time): each becomes a token and an anonymous answer, and leaves the invitation.
        The IKM totals counted them already. Returns how many were moved."""
        moved = 0
        while found := await self._surveys.find({"scores": {"$exists": True}}).to_list(batch):
            for survey in found:

                async def write(tx: Transaction, survey: dict = survey) -> None:
                    token = {"_id": answer_token(self.secret, survey["_id"])}
                    if await self._tokens.find_one(token, session=tx.session) is None:
                        await self._tokens.insert_one(token, session=tx.session)
                        answered = survey.get("answered_at") or survey["invited_at"]
                        await self._answers.insert_one(
                            {
                                "_id": uuid.uuid4().hex,
                                "service": survey["service"],
                                "agency": survey.get("agency"),
                                "region": survey["region"],
                                "month": answered.strftime("%Y-%m"),
                                "scores": survey["scores"],
                            },
                            session=tx.session,
                        )
                    await self._surveys.update_one(
                        {"_id": survey["_id"]},
                        {"$unset": {"scores": "", "answered_at": ""}},
                        session=tx.session,
                    )

                await self.units.run(write)
                moved += 1
        return moved

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
