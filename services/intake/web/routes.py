"""Citizen portal routes: thin — each reads a form, calls intake's API, renders a page.

Signed in means a ``mpp_session`` cookie holding the access token (HttpOnly, so page
scripts cannot read it; SameSite=Lax). Every post carries the CSRF token.
"""

import secrets
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.intake.applicant import FIELD_LABELS, missing_fields
from services.intake.tracking import public_status
from services.intake.web import session
from services.intake.web.account import account_router
from services.intake.web.client import api, field_errors, parse_time
from services.intake.web.forms import (
    ADDRESS_HINTS,
    ADDRESS_LABELS,
    ADDRESS_PARTS,
    ADDRESS_REQUIRED,
    CHANNELS,
    applicant_inputs,
    fields_of,
    prefill,
    profile_errors,
    profile_values,
    read_applicant,
    read_data,
    read_profile,
    submission_errors,
)
from shared.calendar import WIB, working_days_remaining
from shared.events import utcnow
from shared.web import Home, Pages, checked_form, language
from shared.web.applicant import SEX_LABELS, shown_value
from shared.workflow import CANCELLABLE, SETTLED

__all__ = ["mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Any) -> None:
    pages = Pages(
        TEMPLATES,
        settings,
        "intake",
        "portal.html",
        Home("/portal/", "Kembali ke layanan", "Back to services"),
    )
    pages.mount(app)
    app.include_router(portal_router(pages, app))
    app.include_router(account_router(pages))


_signed_in = session.signed_in
_UNVERIFIED = "https://mpp.go.id/problems/unverified-account"


def _sign_in_first(pages: Pages, request: Request) -> RedirectResponse:
    return pages.redirect(request, f"/portal/signin?next={request.url.path}")


def portal_router(pages: Pages, app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    catalogue = app.state.runtime.catalogue

    def render(request: Request, template: str, code: int = 200, **context: Any) -> Response:
        return pages.render(request, template, code, signed_in=_signed_in(request), **context)

    @router.get("/")
    async def root(request: Request) -> Response:
        return pages.redirect(request, "/portal/")

    @router.get("/portal/")
    async def home(request: Request, region: str | None = None) -> Response:
        async with api(request) as client:
            regions = (await client.get("/api/v1/regions")).json()
            services = []
            if region:
                answer = await client.get("/api/v1/services", params={"region": region})
                services = answer.json() if answer.status_code == 200 else []
            me = await _profile_or_none(request, client)
        return render(
            request, "home.html", regions=regions, region=region, services=services, me=me
        )

    @router.get("/portal/register")
    async def register_form(request: Request) -> Response:
        return render(request, "register.html", values={}, errors={})

    @router.post("/portal/register")
    async def register(request: Request) -> Response:
        form = await checked_form(request)
        values = {k: str(form.get(k, "")) for k in ("nik", "name", "email", "phone", "password")}
        async with api(request) as client:
            answer = await client.post("/api/v1/accounts", json=values)
            if answer.status_code != 201:
                problem = answer.json()
                values.pop("password")
                return render(
                    request,
                    "register.html",
                    422,
                    values=values,
                    errors=field_errors(problem) or {"nik": problem.get("detail", "")},
                )
            # A new account proves its email, phone and NIK before it may submit.
            return await _sign_in(
                request, client, values["nik"], values["password"], "/portal/verify"
            )

    async def _sign_in(
        request: Request, client: Any, username: str, password: str, next_path: str
    ) -> Response:
        label = session.device_label(request.headers.get("user-agent"))
        answer = await client.post(
            "/api/v1/auth/token",
            data={"username": username, "password": password, "device_name": label},
        )
        if answer.status_code != 200:
            return render(
                request,
                "signin.html",
                401,
                username=username,
                next=next_path,
                error=answer.json().get("title", ""),
            )
        token = answer.json()
        response = pages.redirect(request, next_path)
        session.start(response, request, token, await _device_of(request, token, label))
        return response

    async def _device_of(request: Request, token: dict[str, Any], label: str) -> str | None:
        """The device this sign-in started: the newest of the account's with its label."""
        if not token.get("refresh_token"):  # staff: no devices
            return None
        async with api(request, token["access_token"]) as client:
            listed = await client.get("/api/v1/me/devices")
        if listed.status_code != 200:
            return None
        return next((d["id"] for d in listed.json() if d["device_name"] == label), None)

    @router.get("/portal/signin")
    async def signin_form(request: Request, next: str = "/portal/applications") -> Response:
        return render(request, "signin.html", username="", next=_local(next), error=None)

    @router.post("/portal/signin")
    async def signin(request: Request) -> Response:
        form = await checked_form(request)
        async with api(request) as client:
            return await _sign_in(
                request,
                client,
                str(form.get("username", "")),
                str(form.get("password", "")),
                _local(str(form.get("next", "/portal/applications"))),
            )

    @router.post("/portal/signout")
    async def signout(request: Request) -> Response:
        """Out of the portal, and this device out of the account's signed-in devices."""
        await checked_form(request)
        device = request.cookies.get(session.DEVICE_COOKIE)
        if device and _signed_in(request):
            async with api(request) as client:
                await client.delete(f"/api/v1/me/devices/{quote(device, safe='')}")
        return session.end(pages.redirect(request, "/portal/"))

    @router.get("/portal/services/{code}")
    async def service(request: Request, code: str, region: str | None = None) -> Response:
        async with api(request) as client:
            answer = await client.get(f"/api/v1/services/{code}")
            if answer.status_code != 200:
                return render(request, "missing.html", 404)
            detail = answer.json()
            values: dict[str, Any] = {}
            profile = await _profile_or_none(request, client)
            draft = None
            if profile is not None:
                values = prefill(detail["form_schema"], profile)
                found = await client.get(f"/api/v1/drafts/{code}")
                if found.status_code == 200:  # the answers kept last time come first
                    draft = found.json()
                    values.update(draft["data"])
                    region = region or draft["region"]
        return _service_page(request, detail, region, values, {}, profile, draft=draft)

    def _service_page(
        request: Request,
        detail: dict[str, Any],
        region: str | None,
        values: dict[str, Any],
        errors: dict[str, str],
        profile: dict[str, Any] | None,
        typed: dict[str, str] | None = None,
        status: int = 200,
        *,
        draft: dict[str, Any] | None = None,
        draft_saved: bool = False,
    ) -> Response:
        """The service and its form; an account that may not submit yet (``can_submit``)
        gets "save draft" in place of "submit"."""
        region = region or next(iter(detail["regions"]), "")
        sharing = _sharing(detail["code"], profile, language(request))
        if typed is None:  # a partial address in the profile is offered for completion
            address = (profile or {}).get("address") or {}
            typed = {f"applicant.address.{part}": address.get(part) or "" for part in ADDRESS_PARTS}
        return render(
            request,
            "service.html",
            status,
            service=detail,
            region=region,
            fields=fields_of(detail["form_schema"]),
            values=values,
            errors=errors,
            sharing=sharing,
            typed=typed,
            key=secrets.token_urlsafe(16),
            can_submit=bool(profile and profile.get("can_submit")),
            draft_at=parse_time(draft["updated_at"]) if draft else None,
            draft_saved=draft_saved or request.query_params.get("draft") == "saved",
        )

    def _sharing(code: str, profile: dict[str, Any] | None, lang: str) -> dict[str, Any]:
        """What the service's agency receives from the profile: each declared field with
        its current value, and inputs for those the profile lacks."""
        service = catalogue.service(code) if catalogue is not None else None
        declared = list(service.applicant_fields) if service is not None else []
        missing = missing_fields(profile, service) if profile and service else []
        rows = [
            {
                "field": field,
                "label": FIELD_LABELS[field],
                "value": None
                if profile is None or field in missing
                else shown_value(field, profile.get(field), lang),
            }
            for field in declared
        ]
        return {"rows": rows, "missing": missing, "inputs": applicant_inputs(missing)}

    async def read_service_form(
        request: Request, client: httpx.AsyncClient, code: str, form: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Any] | Response:
        """(the service, the form's answers, the profile fields typed on it and how they
        were named), or the page to answer with: missing service, or signed out."""
        found = await client.get(f"/api/v1/services/{code}")
        if found.status_code != 200:
            return render(request, "missing.html", 404)
        detail = found.json()
        me = await client.get("/api/v1/me")
        if me.status_code != 200:
            return _sign_in_first(pages, request)
        service = catalogue.service(code) if catalogue is not None else None
        missing = missing_fields(me.json(), service) if service is not None else []
        data = read_data(detail["form_schema"], form)
        applicant, typed = read_applicant(form, missing, data)
        return detail, data, applicant, typed

    @router.post("/portal/services/{code}/apply")
    async def apply(request: Request, code: str) -> Response:
        if not _signed_in(request):
            return _sign_in_first(pages, request)
        form = await checked_form(request)
        async with api(request) as client:
            filled = await read_service_form(request, client, code, form)
            if isinstance(filled, Response):
                return filled
            detail, data, applicant, typed = filled
            region = str(form.get("region", ""))
            errors: dict[str, str] = {}
            hashes = await _upload_documents(client, form, detail["documents"], errors)
            if not errors:
                body: dict[str, Any] = {
                    "service": code,
                    "region": region,
                    "data": data,
                    "documents": hashes,
                }
                if applicant:  # saved to the profile, then sent with the rest
                    body["applicant"] = applicant
                answer = await client.post(
                    "/api/v1/applications",
                    json=body,
                    headers={"Idempotency-Key": str(form.get("key") or secrets.token_hex(16))},
                )
                if answer.status_code == 202:
                    accepted = answer.json()
                    await client.delete(f"/api/v1/drafts/{code}")  # none is fine
                    return pages.redirect(request, f"/portal/applications/{accepted['id']}")
                if answer.status_code == 401:
                    return _sign_in_first(pages, request)
                problem = answer.json()
                if answer.status_code == 403 and problem.get("type") == _UNVERIFIED:
                    # Not proven yet: nothing typed is lost, it waits as a draft.
                    errors = await _keep_draft(client, code, region, data, applicant)
                    profile = (await client.get("/api/v1/me")).json()
                    return _service_page(
                        request,
                        detail,
                        region,
                        data,
                        errors,
                        profile,
                        typed,
                        403,
                        draft_saved="draft" not in errors,
                    )
                errors = _named_parts(
                    submission_errors(problem) or {"": problem.get("detail", "")}, typed
                )
            profile = (await client.get("/api/v1/me")).json()  # what the form saved, if any
        return _service_page(request, detail, region, data, errors, profile, typed, 422)

    @router.post("/portal/services/{code}/draft")
    async def save_draft(request: Request, code: str) -> Response:
        """Keep the form's answers to finish later; allowed before the account is proven.
        Profile fields typed on the form go to the profile, as a submission's would."""
        if not _signed_in(request):
            return _sign_in_first(pages, request)
        form = await checked_form(request)
        async with api(request) as client:
            filled = await read_service_form(request, client, code, form)
            if isinstance(filled, Response):
                return filled
            detail, data, applicant, typed = filled
            region = str(form.get("region", ""))
            errors = await _keep_draft(client, code, region, data, applicant)
            if not errors:
                return pages.redirect(
                    request, f"/portal/services/{code}?region={quote(region)}&draft=saved"
                )
            profile = (await client.get("/api/v1/me")).json()
        return _service_page(
            request,
            detail,
            region,
            data,
            _named_parts(errors, typed),
            profile,
            typed,
            422,
            draft_saved="draft" not in errors,
        )

    @router.get("/portal/applications")
    async def mine(request: Request) -> Response:
        """My applications, and my drafts still to submit."""
        async with api(request) as client:
            answer = await client.get("/api/v1/applications")
            if answer.status_code == 401 or not _signed_in(request):
                return _sign_in_first(pages, request)
            listed = await client.get("/api/v1/drafts")
        drafts = listed.json() if listed.status_code == 200 else []
        items = [_with_sla(item) for item in answer.json()]
        for draft in drafts:
            draft["updated_at"] = parse_time(draft["updated_at"])
        return render(
            request, "applications.html", items=items, drafts=drafts, names=_names(catalogue)
        )

    @router.get("/portal/applications/{id}")
    async def one(request: Request, id: str) -> Response:
        async with api(request) as client:
            answer = await client.get(f"/api/v1/applications/{id}")
            if answer.status_code == 401 or not _signed_in(request):
                return _sign_in_first(pages, request)
            if answer.status_code != 200:
                return render(request, "missing.html", 404)
        return _application_page(request, _with_sla(answer.json()), {})

    def _application_page(
        request: Request, item: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Response:
        requested = []
        if item["status"] == "needs_info" and item["timeline"]:
            requested = item["timeline"][-1].get("requested_fields") or []
        return render(
            request,
            "application.html",
            status,
            item=item,
            requested=requested,
            errors=errors,
            names=_names(catalogue),
            agency=_agency_name(catalogue, item),
            document_kinds=_document_kinds(catalogue, item["service"]),
            shared=[
                FIELD_LABELS[f] for f in item.get("applicant_fields") or [] if f in FIELD_LABELS
            ],
            cancellable=CANCELLABLE,
        )

    @router.get("/portal/applications/{id}/results/{code}")
    async def result(request: Request, id: str, code: str) -> Response:
        """A result document: the API answers with a short-lived signed link to the file
        (kept by routing), and the browser follows it."""
        async with api(request) as client:
            answer = await client.get(f"/api/v1/applications/{id}/results/{code}")
        if answer.status_code == 401 or not _signed_in(request):
            return _sign_in_first(pages, request)
        if answer.status_code != 303 or "location" not in answer.headers:
            return render(request, "missing.html", 404)
        return RedirectResponse(answer.headers["location"], status_code=303)

    @router.post("/portal/applications/{id}/answer")
    async def answer(request: Request, id: str) -> Response:
        form = await checked_form(request)
        async with api(request) as client:
            current = await client.get(f"/api/v1/applications/{id}")
            if current.status_code != 200:
                return _sign_in_first(pages, request)
            item = current.json()
            schema = (await client.get(f"/api/v1/services/{item['service']}")).json()
            properties = schema["form_schema"].get("properties", {})
            data = {k: v for k, v in read_data(schema["form_schema"], form).items()}
            others = [
                f"{name}: {form.get('data.' + name)}"
                for name in form
                if name.startswith("data.")
                and name[5:] not in properties
                and str(form.get(name, "")).strip()
            ]
            note = "\n".join([*others, str(form.get("note", "")).strip()]).strip() or None
            errors: dict[str, str] = {}
            # a document asked for comes as a file
            hashes = await _upload_documents(client, form, schema["documents"], errors)
            if not errors:
                sent = await client.post(
                    f"/api/v1/applications/{id}/responses",
                    json={"data": data, "documents": hashes, "note": note},
                )
                if sent.status_code == 202:
                    return pages.redirect(request, f"/portal/applications/{id}?answered=1")
                problem = sent.json()
                errors = field_errors(problem, "data.") or {"": problem.get("detail", "")}
        return _application_page(request, _with_sla(item), errors, 422)

    @router.post("/portal/applications/{id}/cancel")
    async def cancel(request: Request, id: str) -> Response:
        form = await checked_form(request)
        reason = str(form.get("reason", "")).strip()[:500] or None
        async with api(request) as client:
            sent = await client.post(f"/api/v1/applications/{id}/cancel", json={"reason": reason})
        if sent.status_code == 401:
            return _sign_in_first(pages, request)
        if sent.status_code != 202:
            return pages.redirect(request, f"/portal/applications/{id}?cancel_refused=1")
        return pages.redirect(request, f"/portal/applications/{id}?cancelled=1")

    @router.get("/portal/profile")
    async def profile(request: Request) -> Response:
        """The profile entered once: what every application form is prefilled from."""
        async with api(request) as client:
            me = await client.get("/api/v1/me")
        if me.status_code != 200 or not _signed_in(request):
            return _sign_in_first(pages, request)
        return _profile_page(request, me.json(), profile_values(me.json()), {})

    @router.post("/portal/profile")
    async def save_profile(request: Request) -> Response:
        if not _signed_in(request):
            return _sign_in_first(pages, request)
        form = await checked_form(request)
        body, shown = read_profile(form)
        async with api(request) as client:
            saved = await client.patch("/api/v1/me", json=body)
            if saved.status_code == 200:
                return pages.redirect(request, "/portal/profile?saved=1")
            if saved.status_code in (401, 403, 404):
                return _sign_in_first(pages, request)
            problem = saved.json()
            errors = profile_errors(field_errors(problem)) or {"": problem.get("detail", "")}
            me = (await client.get("/api/v1/me")).json()
        return _profile_page(request, me, shown, errors, 422)

    def _profile_page(
        request: Request,
        me: dict[str, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        return render(
            request,
            "profile.html",
            status,
            me=me,
            values=values,
            errors=errors,
            address_parts=ADDRESS_PARTS,
            address_labels=ADDRESS_LABELS,
            address_hints=ADDRESS_HINTS,
            birth_date=shown_value("birth_date", me.get("birth_date"), "id"),
            sex=SEX_LABELS.get(me.get("sex") or ""),
            channels=CHANNELS,
        )

    @router.get("/portal/track")
    async def track(request: Request, number: str | None = None) -> Response:
        """Public: status by tracking number, and nothing personal."""
        found = None
        if number:
            found = await public_status(app.state.runtime.db["applications"], number)
        return render(
            request, "track.html", number=number or "", found=found, names=_names(catalogue)
        )

    return router


def _local(path: str) -> str:
    """Only paths on this site, so a crafted ``next`` cannot send anyone elsewhere."""
    return path if path.startswith("/") and not path.startswith("//") else "/portal/"


def _with_sla(item: dict[str, Any]) -> dict[str, Any]:
    due = parse_time(item.get("sla_due_at"))
    decided = item["status"] in SETTLED
    item["days_left"] = (
        working_days_remaining(utcnow(), due) if due is not None and not decided else None
    )
    for entry in item.get("timeline", []):
        entry["at"] = parse_time(entry["at"])
    for result in item.get("results") or []:  # the date of issue as on the paper (WIB)
        issued = parse_time(result.get("issued_at"))
        result["issued_at"] = issued.astimezone(WIB) if issued and issued.tzinfo else issued
    if item.get("cancellation_refused"):
        item["cancellation_refused"]["at"] = parse_time(item["cancellation_refused"].get("at"))
    return item


def _document_kinds(catalogue: Any, code: str) -> list[str]:
    service = catalogue.service(code) if catalogue is not None else None
    return list(service.documents) if service is not None else []


def _agency_name(catalogue: Any, item: dict[str, Any]) -> dict[str, str] | None:
    """The agency handling it (routed), else the one the routing rule names."""
    if catalogue is None:
        return None
    agency = catalogue.agency(item["agency"]) if item.get("agency") else None
    if agency is None:
        agency = catalogue.agency_for(item["service"], item["region"])
    return agency.name.model_dump() if agency is not None else None


def _names(catalogue: Any) -> dict[str, dict[str, str]]:
    if catalogue is None:
        return {}
    return {service.code: service.name.model_dump() for service in catalogue.services}


async def _profile_or_none(request: Request, client: Any) -> dict[str, Any] | None:
    """The signed-in citizen's profile; None when signed out (or not a citizen)."""
    if not _signed_in(request):
        return None
    me = await client.get("/api/v1/me")
    return me.json() if me.status_code == 200 else None


async def _keep_draft(
    client: Any, code: str, region: str, data: dict[str, Any], applicant: dict[str, Any]
) -> dict[str, str]:
    """Save the answers as the service's draft, and the profile fields typed on the form
    to the profile; the refusals by the page's field names (``draft``: the draft itself
    was not saved)."""
    errors: dict[str, str] = {}
    saved = await client.put(f"/api/v1/drafts/{code}", json={"region": region, "data": data})
    if saved.status_code != 200:
        problem = saved.json()
        errors["draft"] = str(problem.get("detail", ""))
        errors.update({k: v for k, v in field_errors(problem).items() if k == "region"})
    if applicant:
        patched = await client.patch("/api/v1/me", json=applicant)
        if patched.status_code != 200:
            problem = patched.json()
            errors.update(submission_errors(problem) or {"": str(problem.get("detail", ""))})
    return errors


def _named_parts(errors: dict[str, str], typed: dict[str, str]) -> dict[str, str]:
    """An incomplete address marks each required part still empty."""
    if "applicant.address" in errors:
        for part in ADDRESS_REQUIRED:
            name = f"applicant.address.{part}"
            if not typed.get(name):
                errors.setdefault(name, errors["applicant.address"])
    return errors


async def _upload_documents(
    client: Any, form: Any, kinds: list[str], errors: dict[str, str]
) -> list[str]:
    """Upload each document the form carries (``doc.<kind>``) through the API; returns
    their sha256 and puts each refusal's title in ``errors`` under its input."""
    hashes = []
    for kind in kinds:
        upload = form.get(f"doc.{kind}")
        if isinstance(upload, UploadFile) and upload.filename:
            # Named by the document's kind: a file name often carries a person's name,
            # and it travels with the application's events.
            name = kind + PurePath(upload.filename).suffix.lower()[:8]
            stored = await client.post(
                "/api/v1/documents", files={"file": (name, await upload.read())}
            )
            if stored.status_code == 201:
                hashes.append(stored.json()["sha256"])
            else:
                errors[f"doc.{kind}"] = stored.json().get("title", "")
    return hashes
