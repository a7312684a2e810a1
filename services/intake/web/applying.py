"""Applying for a service from its page: the posted form read back as a
:class:`ServiceForm`, sent to intake's API as a submission or kept as a draft, and the
page drawn again with the API's refusals next to the fields they concern.

An account that may not submit yet (its email, phone or NIK not proven) loses nothing
it typed: the answers wait as the service's draft, which the page offers next time.
"""

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from services.intake.web.client import attached, field_errors, me, parse_time, send_documents
from services.intake.web.deps import Page, region_names
from services.intake.web.forms import (
    ADDRESS_PARTS,
    ADDRESS_REQUIRED,
    applicant_inputs,
    fields_of,
    prefill,
    read_applicant,
    read_data,
    submission_errors,
)
from services.intake.web.uploads import PIECE_BYTES
from shared.applicant import FIELD_LABELS, missing_fields
from shared.web import language
from shared.web.applicant import shown_value

__all__ = [
    "ServiceForm",
    "keep_draft",
    "read_service_form",
    "service_page",
    "show_service",
    "submit",
]

_UNVERIFIED = "https://mpp.go.id/problems/unverified-account"


@dataclass(frozen=True)
class ServiceForm:
    """A posted service form: what a submission or a draft is made of."""

    detail: dict[str, Any]
    """The service, as the API describes it."""
    region: str
    data: dict[str, Any]
    applicant: dict[str, Any]
    """The profile fields typed on the form, saved to the profile with it."""
    typed: dict[str, str]
    """Those fields as they were typed, to show again."""
    files: dict[str, UploadFile]
    uploads: dict[str, str]
    """Documents the page's script already uploaded in pieces: ``{kind: upload id}``."""
    key: str
    """The submission's ``Idempotency-Key``: a form sent twice is one application."""

    @property
    def code(self) -> str:
        return str(self.detail["code"])

    def submission(self, documents: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "service": self.code,
            "region": self.region,
            "data": self.data,
            "documents": documents,
        }
        if self.applicant:  # saved to the profile, then sent with the rest
            body["applicant"] = self.applicant
        return body


async def read_service_form(
    page: Page, client: httpx.AsyncClient, code: str, form: FormData
) -> ServiceForm | Response:
    """The posted form, or the page to answer with: missing service, or signed out."""
    found = await client.get(f"/api/v1/services/{code}")
    if found.status_code != 200:
        return page.missing()
    detail = found.json()
    profile = await me(client)
    if profile is None:
        return page.sign_in_first()
    service = page.catalogue.service(code)
    missing = missing_fields(profile, service) if service is not None else []
    data = read_data(detail["form_schema"], form)
    applicant, typed = read_applicant(form, missing, data)
    files, uploads = attached(form, detail["documents"])
    return ServiceForm(
        detail=detail,
        region=str(form.get("region", "")),
        data=data,
        applicant=applicant,
        typed=typed,
        files=files,
        uploads=uploads,
        key=str(form.get("key") or secrets.token_hex(16)),
    )


async def submit(page: Page, client: httpx.AsyncClient, posted: ServiceForm) -> Response:
    """Submit, then to the application's page; refused, the form again with why (an
    account not proven yet keeps the answers as a draft)."""
    errors: dict[str, str] = {}
    hashes = await send_documents(client, posted.files, posted.uploads, errors)
    if not errors:
        answer = await client.post(
            "/api/v1/applications",
            json=posted.submission(hashes),
            headers={"Idempotency-Key": posted.key},
        )
        if answer.status_code == 202:
            await client.delete(f"/api/v1/drafts/{posted.code}")  # none is fine
            return page.redirect(f"/portal/applications/{answer.json()['id']}")
        if answer.status_code == 401:
            return page.sign_in_first()
        problem = answer.json()
        if answer.status_code == 403 and problem.get("type") == _UNVERIFIED:
            # Not proven yet: nothing typed is lost, it waits as a draft.
            errors = await _save_draft(client, posted)
            return await _form_again(
                page, client, posted, errors, 403, draft_saved="draft" not in errors
            )
        errors = submission_errors(problem) or {"": problem.get("detail", "")}
        errors = _named_parts(errors, posted.typed)
    return await _form_again(page, client, posted, errors, 422)


async def keep_draft(page: Page, client: httpx.AsyncClient, posted: ServiceForm) -> Response:
    """Keep the answers to finish later (allowed before the account is proven), then
    back to the service's page; refused, the form again with why."""
    errors = await _save_draft(client, posted)
    if not errors:
        return page.redirect(
            f"/portal/services/{posted.code}?region={quote(posted.region)}&draft=saved"
        )
    errors = _named_parts(errors, posted.typed)
    return await _form_again(page, client, posted, errors, 422, draft_saved="draft" not in errors)


async def _form_again(
    page: Page,
    client: httpx.AsyncClient,
    posted: ServiceForm,
    errors: dict[str, str],
    status: int,
    *,
    draft_saved: bool = False,
) -> Response:
    """The form as it was typed, with the refusals, beside the profile as it is now
    (the form may have saved part of it)."""
    profile = await me(client)
    return service_page(
        page,
        posted.detail,
        posted.region,
        posted.data,
        errors,
        profile,
        posted.typed,
        status,
        draft_saved=draft_saved,
    )


async def show_service(
    page: Page, client: httpx.AsyncClient, code: str, region: str | None
) -> Response:
    """The service's page, prefilled from the profile and the draft kept last time."""
    answer = await client.get(f"/api/v1/services/{code}")
    if answer.status_code != 200:
        return page.missing()
    detail = answer.json()
    values: dict[str, Any] = {}
    profile = await me(client) if page.signed_in else None
    draft = None
    if profile is not None:
        values = prefill(detail["form_schema"], profile)
        found = await client.get(f"/api/v1/drafts/{code}")
        if found.status_code == 200:  # the answers kept last time come first
            draft = found.json()
            values.update(draft["data"])
            region = region or draft["region"]
    return service_page(page, detail, region, values, {}, profile, draft=draft)


def service_page(
    page: Page,
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
    if typed is None:  # a partial address in the profile is offered for completion
        address = (profile or {}).get("address") or {}
        typed = {f"applicant.address.{part}": address.get(part) or "" for part in ADDRESS_PARTS}
    return page.render(
        "service.html",
        status,
        service=detail,
        region=region or next(iter(detail["regions"]), ""),
        fields=fields_of(detail["form_schema"]),
        values=values,
        errors=errors,
        sharing=_sharing(page, detail["code"], profile),
        typed=typed,
        key=secrets.token_urlsafe(16),
        can_submit=bool(profile and profile.get("can_submit")),
        draft_at=parse_time(draft["updated_at"]) if draft else None,
        draft_saved=draft_saved or page.request.query_params.get("draft") == "saved",
        regions=region_names(page),
        piece_bytes=PIECE_BYTES,
        citizen_region=(profile or {}).get("region"),
    )


def _sharing(page: Page, code: str, profile: dict[str, Any] | None) -> dict[str, Any]:
    """What the service's agency receives from the profile: each declared field with
    its current value, and inputs for those the profile lacks."""
    lang = language(page.request)
    service = page.catalogue.service(code)
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


async def _save_draft(client: httpx.AsyncClient, posted: ServiceForm) -> dict[str, str]:
    """Save the answers as the service's draft, and the profile fields typed on the form
    to the profile; the refusals by the page's field names (``draft``: the draft itself
    was not saved)."""
    errors: dict[str, str] = {}
    saved = await client.put(
        f"/api/v1/drafts/{posted.code}", json={"region": posted.region, "data": posted.data}
    )
    if saved.status_code != 200:
        problem = saved.json()
        errors["draft"] = str(problem.get("detail", ""))
        errors.update({k: v for k, v in field_errors(problem).items() if k == "region"})
    if posted.applicant:
        patched = await client.patch("/api/v1/me", json=posted.applicant)
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
