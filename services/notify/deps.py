"""What notify's routes take from its composition root.

:func:`services.notify.app.build` makes notify's parts once
(:class:`~services.notify.parts.NotifyParts`) and keeps them on ``app.state.notify``
(and :func:`services.notify.web.mount_web` its pages on ``app.state.pages``); the
providers here hand them to a route through FastAPI's ``Depends``, so the routers are
module-level and hold nothing, and a test can replace any part
(``app.dependency_overrides``).
"""

from typing import Annotated

from fastapi import Depends, Request

from services.notify.api_handlers import PushConfig
from services.notify.devices import DeviceStore
from services.notify.inbox import InboxStore
from services.notify.links import survey_link_valid
from services.notify.parts import NotifyParts
from services.notify.surveys import SurveyStore
from shared.auth import CitizenPrincipal
from shared.problems import Problem
from shared.web import Pages

__all__ = [
    "SURVEY_TOKEN_HEADER",
    "Citizen",
    "Devices",
    "Inbox",
    "InboxPages",
    "Push",
    "SurveyCaller",
    "Surveys",
    "citizen",
    "devices",
    "inbox",
    "pages",
    "push_config",
    "survey_caller",
    "surveys",
]


def _parts(request: Request) -> NotifyParts:
    parts: NotifyParts = request.app.state.notify
    return parts


def inbox(request: Request) -> InboxStore:
    return _parts(request).stores.notices


def surveys(request: Request) -> SurveyStore:
    return _parts(request).stores.surveys


def devices(request: Request) -> DeviceStore:
    return _parts(request).units.devices


def push_config(request: Request) -> PushConfig:
    """How devices subscribe: the VAPID key, whether FCM is on, which endpoints pass."""
    return _parts(request).push


def pages(request: Request) -> Pages:
    """The inbox pages' templates (:func:`services.notify.web.mount_web`)."""
    return request.app.state.pages


async def citizen(request: Request) -> str:
    """The citizen id from a verified citizen's access token (401, or 403 for a staff
    member's token)."""
    principal: CitizenPrincipal = await request.app.state.tokens(request)
    if not principal.is_citizen:
        raise Problem(
            403,
            "Khusus warga / Citizens only",
            "Only a citizen's own token opens their notices, surveys and devices.",
        )
    return principal.subject


SURVEY_TOKEN_HEADER = "Survey-Token"  # noqa: S105 (a header's name, not a secret)
"""The survey link's token (:mod:`services.notify.links`), for answering without an
account session; a header, never the address, so it is not logged with the request."""


async def survey_caller(request: Request, application_id: str) -> str | None:
    """Who may see and answer this application's survey: the holder of its link's token
    or of the code printed on a walk-in's ticket (None), else the signed-in citizen it
    was sent to (their id). A wrong, another ticket's or an expired code is refused."""
    token = request.headers.get(SURVEY_TOKEN_HEADER)
    if token is not None:
        store = surveys(request)
        if survey_link_valid(store.secret, application_id, token):
            return None
        if await store.walk_in_code_valid(application_id, token[:64]):
            return None  # the code printed on a walk-in's ticket
        raise Problem(
            403,
            "Tautan survei tidak berlaku / Survey link not valid",
            "This survey link does not belong to this application; open the link from "
            "your notice again, or sign in on the portal.",
        )
    return await citizen(request)


Citizen = Annotated[str, Depends(citizen)]
SurveyCaller = Annotated[str | None, Depends(survey_caller)]
Inbox = Annotated[InboxStore, Depends(inbox)]
Surveys = Annotated[SurveyStore, Depends(surveys)]
Devices = Annotated[DeviceStore, Depends(devices)]
Push = Annotated[PushConfig, Depends(push_config)]
InboxPages = Annotated[Pages, Depends(pages)]
