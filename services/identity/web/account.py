"""Registering and a forgotten password: ``/account/register``, ``/account/forgot`` →
``/account/reset``.

Registration runs inside an authorization request: the portal (or the app) sends the
browser to the provider with ``prompt=create``, the provider sends it here with the
request's parameters, and once the account is made the request is answered as the
sign-in page answers it — the new citizen arrives at the client signed in, having typed
the password on identity's page only (:func:`services.identity.oidc.routes.authorize_new_account`).
"""

from urllib.parse import urlencode

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from services.identity.oidc.routes import authorize_new_account, citizen_consent
from services.identity.web.messages import (
    RESET_SENT,
    TYPE_USERNAME,
    Message,
    field_errors,
    problem_of,
    reset_errors,
    waiting,
)
from services.identity.web.page import AccountPage, IdentityApi, PageDep
from shared.web import checked_form, end_session

__all__ = ["account_router"]

_FIELDS = ("nik", "name", "email", "phone", "password")

account_router = APIRouter(include_in_schema=False)


@account_router.get("/account/register")
async def register_form(page: PageDep) -> Response:
    """The form, for the authorization request in the query; without one, to the
    portal's "Daftar", which starts one."""
    if "client_id" not in page.request.query_params:
        return page.to_portal("/portal/register")
    consent = await citizen_consent(page.request)
    if isinstance(consent, Response):
        return consent
    return _register_page(page, {}, {})


@account_router.post("/account/register")
async def register(page: PageDep, client: IdentityApi) -> Response:
    form = await checked_form(page.request)
    consent = await citizen_consent(page.request)
    if isinstance(consent, Response):
        return consent
    values = {name: str(form.get(name, "")) for name in _FIELDS}
    answer = await client.post("/api/v1/accounts", json=values)
    if answer.status_code != 201:
        values.pop("password")
        problem = problem_of(answer)
        errors = field_errors(problem) or {"nik": str(problem.get("detail", ""))}
        return _register_page(page, values, errors, 422)
    # A new account proves its email, phone and NIK before it may submit: the client
    # (the portal) leads there.
    return await authorize_new_account(page.request, consent, answer.json()["id"])


def _register_page(
    page: AccountPage, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    params = page.request.query_params
    signin = urlencode([(k, v) for k, v in params.multi_items() if k != "prompt"])
    return page.render(
        "register.html",
        status,
        values=values,
        errors=errors,
        query=str(page.request.url.query),
        signin_query=signin,
    )


@account_router.get("/account/forgot")
async def forgot_form(page: PageDep) -> Response:
    return page.render("forgot.html", username="", errors={})


@account_router.post("/account/forgot")
async def forgot(page: PageDep, client: IdentityApi) -> Response:
    """The same answer whether or not the account exists (the API's is 202 always)."""
    form = await checked_form(page.request)
    username = str(form.get("username", "")).strip()
    asked = await client.post("/api/v1/auth/password-reset", json={"username": username})
    if asked.status_code != 202:
        error = TYPE_USERNAME if asked.status_code == 422 else _wait(asked)
        errors = {"username": error}
        return page.render("forgot.html", asked.status_code, username=username, errors=errors)
    # Nothing typed is kept for the next page: on a shared computer the next person
    # would see it.
    return page.redirect("/account/reset?sent=1")


def _wait(answer: httpx.Response) -> Message:
    wait = waiting(answer.headers.get("retry-after"))
    return (
        f"Terlalu banyak percobaan; coba lagi setelah {wait[0]}.",
        f"Too many attempts; try again in {wait[1]}.",
    )


@account_router.get("/account/reset")
async def reset_form(page: PageDep) -> Response:
    return page.render("reset.html", username="", errors={}, sent=RESET_SENT)


@account_router.post("/account/reset")
async def reset(page: PageDep, client: IdentityApi) -> Response:
    """A new password: every device is signed out, this browser too."""
    form = await checked_form(page.request)
    body = {
        "username": str(form.get("username", "")).strip(),
        "code": "".join(str(form.get("code", "")).split()),
        "new_password": str(form.get("new_password", "")),
    }
    done = await client.post("/api/v1/auth/password-reset/confirm", json=body)
    if done.status_code == 204:
        return end_session(page.to_portal("/portal/signin?reset=1"))
    return page.render(
        "reset.html",
        done.status_code,
        username=body["username"],
        errors=reset_errors(done),
        sent=RESET_SENT,
    )
