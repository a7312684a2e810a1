"""The workbench's routes: an officer signs in with their own staff account at the
identity service's provider (:mod:`services.routing.web.workbench_signin`), works the
queue (overdue first), reads an application and moves it with the transitions the
workflow allows.

Each route reads the request, hands a command to its handler in
:mod:`services.routing.web.workbench_handlers` with the agency API as the officer (their
own token, from the cookie) and renders what comes back; the desk
(:mod:`services.routing.web.desk`) comes by ``Depends``.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing.web import workbench_handlers as handle
from services.routing.web.desk import WORKBENCH, Desk, Workbench
from services.routing.web.workbench_handlers import (
    AddNote,
    Missing,
    Moved,
    NotMoved,
    QueueQuery,
    ShowApplication,
    SignedOut,
)
from services.routing.web.workbench_signin import FailedSignIn, SignedIn, accept, failed
from shared.web import bearer, checked_form, language, local_api
from shared.web.code_flow import CodeFlowFailed

__all__ = ["workbench_router"]

workbench_router = APIRouter(include_in_schema=False)


@workbench_router.get("/workbench/signin")
async def signin(request: Request, desk: Desk, next: str | None = None) -> Response:
    """To the identity service's sign-in page; back to ``next`` (a workbench page) after."""
    return desk.flow.begin(request, next)


@workbench_router.get("/workbench/oidc/callback")
async def signin_callback(request: Request, desk: Desk) -> Response:
    """The provider's answer: the officer's token kept once the agency API accepts it,
    or a page saying why not and offering to sign in again."""
    try:
        provider = await desk.flow.finish(request)
    except CodeFlowFailed as failure:
        outcome: SignedIn | FailedSignIn = failed(failure)
    else:
        outcome = await accept(provider, lambda token: local_api(request, bearer(token)))
    if isinstance(outcome, FailedSignIn):
        page = desk.pages.render(
            request, "signin_failed.html", outcome.code, signed_in=False, message=outcome.message
        )
        return desk.flow.forget(page)
    response = WORKBENCH.signed_in(
        desk.pages, request, outcome.token, max_age=outcome.lifetime, to=outcome.after
    )
    return desk.flow.forget(response)


@workbench_router.get("/workbench/")
async def queue(request: Request, desk: Desk, status: str | None = None, page: int = 1) -> Response:
    async with WORKBENCH.api(request) as api:
        listing = await handle.queue_page(QueueQuery(status, page), api, desk.catalogue)
    if isinstance(listing, SignedOut):
        return desk.sign_in_first(request)
    return await desk.render(request, "queue.html", **listing)


@workbench_router.get("/workbench/applications/{id}")
async def detail(request: Request, id: str, desk: Desk, error: str | None = None) -> Response:
    return await _application(request, id, desk, error)


@workbench_router.post("/workbench/applications/{id}/transitions")
async def transition(request: Request, id: str, desk: Desk) -> Response:
    """A status change; with approved or completed, an attached result document is
    uploaded first (agency API) and issued with the change."""
    command = await handle.read_move(id, await checked_form(request))
    async with WORKBENCH.api(request) as api:
        outcome = await handle.move(command, api)
    if isinstance(outcome, SignedOut):
        return desk.sign_in_first(request)
    if isinstance(outcome, NotMoved):
        return await _application(request, id, desk, outcome.error)
    assert isinstance(outcome, Moved)
    return desk.pages.redirect(request, outcome.location)


@workbench_router.post("/workbench/applications/{id}/notes")
async def add_note(request: Request, id: str, desk: Desk) -> Response:
    """Internal notes between officers; the citizen never sees them."""
    form = await checked_form(request)
    text = str(form.get("text", "")).strip()[:2000]
    command = AddNote(id, text, await desk.officer_of(request))
    async with WORKBENCH.api(request) as api:
        outcome = await handle.add_note(command, api, desk.notes)
    if isinstance(outcome, SignedOut):
        return desk.sign_in_first(request)
    return desk.pages.redirect(request, f"/workbench/applications/{id}")


async def _application(request: Request, id: str, desk: Workbench, error: str | None) -> Response:
    officer = await desk.officer_of(request)
    query = ShowApplication(id, officer.subject if officer else "", language(request), error)
    async with WORKBENCH.api(request) as api:
        page = await handle.application_page(
            query, api, catalogue=desk.catalogue, notes=desk.notes, settings=desk.pages.settings
        )
    if isinstance(page, SignedOut):
        return desk.sign_in_first(request)
    if isinstance(page, Missing):
        return await desk.render(request, "missing.html", 404)
    return await desk.render(request, "application.html", **page)
