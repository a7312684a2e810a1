"""Notify's HTTP API: the citizen's inbox, the SKM survey, and the IKM index.

Every citizen route takes the citizen from a verified access token (signed by intake,
checked with its public key by :class:`shared.auth.TokenVerifier`); nothing trusts a
citizen id sent in a query, path or header. A notice or survey of another citizen is
answered 404, as if it did not exist.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.notify.inbox import InboxStore, public_view
from services.notify.skm import ELEMENTS
from services.notify.surveys import AlreadyAnswered, NotInvited, SurveyStore
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.events import utcnow
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["build_router", "citizen_dependency"]

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


def citizen_dependency(settings: Settings) -> Any:
    """``Annotated[str, Depends(…)]``: the citizen id from a verified citizen's token."""
    verifier = TokenVerifier(settings)

    async def citizen(principal: Annotated[CitizenPrincipal, Depends(verifier)]) -> str:
        if not principal.is_citizen:
            raise Problem(
                403,
                "Khusus warga / Citizens only",
                "Only a citizen's own token opens their notices, surveys and devices.",
            )
        return principal.subject

    return Annotated[str, Depends(citizen)]


def build_router(settings: Settings, inbox: InboxStore, surveys: SurveyStore) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    Citizen = citizen_dependency(settings)

    @router.get("/notifications", tags=["inbox"])
    async def list_notifications(
        citizen_id: Citizen,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        """The citizen's notices, newest first."""
        notices, total, unread = await inbox.page(citizen_id, page, page_size)
        return {
            "items": [public_view(notice) for notice in notices],
            "page": page,
            "page_size": page_size,
            "total": total,
            "unread": unread,
        }

    @router.post("/notifications/{notice_id}/read", tags=["inbox"])
    async def mark_read(notice_id: str, citizen_id: Citizen) -> dict[str, Any]:
        """Mark one notice read (reading it again keeps the first time)."""
        notice = await inbox.mark_read(citizen_id, notice_id, utcnow())
        if notice is None:
            raise Problem(
                404,
                "Tidak ditemukan / Not found",
                f"You have no notice {notice_id}. List yours at GET /api/v1/notifications.",
            )
        return public_view(notice)

    @router.get("/surveys/{application_id}", tags=["survey"])
    async def survey_form(application_id: str, citizen_id: Citizen) -> dict[str, Any]:
        """The survey's questions and whether it was answered."""
        try:
            survey = await surveys.invitation(application_id, citizen_id)
        except NotInvited:
            raise _no_survey(application_id) from None
        return {
            "application_id": application_id,
            "tracking_number": survey.get("tracking_number"),
            "answered": survey["answered"],
            "scale": {"1": "Tidak baik / Poor", "4": "Sangat baik / Very good"},
            "elements": [{"code": c, "id": i, "en": e} for c, i, e in ELEMENTS],
        }

    @router.post("/surveys/{application_id}", status_code=201, tags=["survey"])
    async def answer_survey(
        application_id: str, answer: SurveyAnswer, citizen_id: Citizen
    ) -> dict[str, Any]:
        """Rate a completed application (one answer per application)."""
        try:
            data = await surveys.answer(application_id, citizen_id, answer.scores())
        except NotInvited:
            raise _no_survey(application_id) from None
        except AlreadyAnswered:
            raise Problem(
                409,
                "Sudah dinilai / Already answered",
                "This application's survey was already answered; one answer per application.",
            ) from None
        return {"application_id": application_id, "scores": data.scores}

    @router.get("/ikm", tags=["survey"])
    async def ikm_index(
        group_by: Literal["service", "agency", "region"] = "service",
    ) -> dict[str, Any]:
        """The IKM (PermenPANRB 14/2017) per service, agency or region."""
        return {"group_by": group_by, "items": await surveys.index(group_by)}

    return router


def _no_survey(application_id: str) -> Problem:
    return Problem(
        404,
        "Survei tidak ditemukan / No survey",
        f"There is no survey for application {application_id} on your account: a survey "
        "opens when one of your applications is completed.",
    )
