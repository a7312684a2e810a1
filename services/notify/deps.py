"""What notify's routes take from its composition root.

:func:`services.notify.app.build` makes notify's parts once and keeps them on
``app.state`` (and :func:`services.notify.web.mount_web` its pages); the providers here
hand them to a route through FastAPI's ``Depends``, so the routers are module-level and
hold nothing, and a test can replace any part (``app.dependency_overrides``).
"""

from typing import Annotated

from fastapi import Depends, Request

from services.notify.api_handlers import PushConfig
from services.notify.devices import DeviceStore
from services.notify.inbox import InboxStore
from services.notify.surveys import SurveyStore
from shared.auth import CitizenPrincipal
from shared.problems import Problem
from shared.web import Pages

__all__ = [
    "Citizen",
    "Devices",
    "Inbox",
    "InboxPages",
    "Push",
    "Surveys",
    "citizen",
    "devices",
    "inbox",
    "pages",
    "push_config",
    "surveys",
]


def inbox(request: Request) -> InboxStore:
    return request.app.state.inbox


def surveys(request: Request) -> SurveyStore:
    return request.app.state.surveys


def devices(request: Request) -> DeviceStore:
    return request.app.state.devices


def push_config(request: Request) -> PushConfig:
    """How devices subscribe: the VAPID key, whether FCM is on, which endpoints pass."""
    return request.app.state.push_config


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


Citizen = Annotated[str, Depends(citizen)]
Inbox = Annotated[InboxStore, Depends(inbox)]
Surveys = Annotated[SurveyStore, Depends(surveys)]
Devices = Annotated[DeviceStore, Depends(devices)]
Push = Annotated[PushConfig, Depends(push_config)]
InboxPages = Annotated[Pages, Depends(pages)]
