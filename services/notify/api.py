"""Notify's HTTP API: the citizen's inbox, the SKM survey, and the IKM index.

Every citizen route takes the citizen from a verified access token (signed by intake,
checked with its public key by :class:`shared.auth.TokenVerifier`); nothing trusts a
citizen id sent in a query, path or header. A notice or survey of another citizen is
answered 404, as if it did not exist.

Each route builds a command and hands it to its handler in
:mod:`services.notify.api_handlers`; what it needs comes from :mod:`services.notify.deps`.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.notify import api_handlers as handle
from services.notify.api_handlers import AnswerSurvey, ListNotices, MarkRead, ShowSurvey
from services.notify.deps import Citizen, Inbox, SurveyCaller, Surveys
from services.notify.skm import ELEMENTS

__all__ = ["SurveyAnswer", "notify_router"]

Score = Annotated[int, Field(ge=1, le=4)]


class SurveyAnswer(BaseModel):
    """The nine SKM elements, each rated 1 (not good) to 4 (very good)."""

    u1: Score
    u2: Score
    u3: Score
    u4: Score
    u5: Score
    u6: Score
    u7: Score
    u8: Score
    u9: Score

    def scores(self) -> list[int]:
        return [getattr(self, code) for code, _, _ in ELEMENTS]


notify_router = APIRouter(prefix="/api/v1")


@notify_router.get("/notifications", tags=["inbox"])
async def list_notifications(
    citizen_id: Citizen,
    inbox: Inbox,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The citizen's notices, newest first."""
    return await handle.list_notices(ListNotices(citizen_id, page, page_size), inbox)


@notify_router.post("/notifications/{notice_id}/read", tags=["inbox"])
async def mark_read(notice_id: str, citizen_id: Citizen, inbox: Inbox) -> dict[str, Any]:
    """Mark one notice read (reading it again keeps the first time)."""
    return await handle.mark_read(MarkRead(citizen_id, notice_id), inbox)


@notify_router.get("/surveys/{application_id}", tags=["survey"])
async def survey_form(
    application_id: str, citizen_id: SurveyCaller, surveys: Surveys
) -> dict[str, Any]:
    """The survey's questions and whether it was answered: to the citizen signed in, or
    to the holder of the notice's survey link (its token in the ``Survey-Token``
    header)."""
    return await handle.survey_form(ShowSurvey(citizen_id, application_id), surveys)


@notify_router.post("/surveys/{application_id}", status_code=201, tags=["survey"])
async def answer_survey(
    application_id: str, answer: SurveyAnswer, citizen_id: SurveyCaller, surveys: Surveys
) -> dict[str, Any]:
    """Rate a completed application (one answer per application), signed in or by the
    survey link's token (``Survey-Token``)."""
    command = AnswerSurvey(citizen_id, application_id, answer.scores())
    return await handle.answer_survey(command, surveys)


@notify_router.get("/ikm", tags=["survey"])
async def ikm_index(
    surveys: Surveys,
    group_by: Literal["service", "agency", "region"] = "service",
) -> dict[str, Any]:
    """The IKM (PermenPANRB 14/2017) per service, agency or region."""
    return {"group_by": group_by, "items": await surveys.index(group_by)}
