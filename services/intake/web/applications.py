"""A citizen's applications on the portal: the list with the drafts still to submit, one
application's page, and the answer to a request for information.

Times come from the API as ISO text (UTC); the templates show them in the zone of the
application's region (``region`` in the page's context), so a citizen in Makassar reads
WITA. Form fields and options are shown by their labels, never by the form's keys.
"""

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.intake.web.client import attached, field_errors, me, parse_time, send_documents
from services.intake.web.complaints import thread
from services.intake.web.deps import Page, region_names
from services.intake.web.forms import fields_of, read_data
from services.intake.web.payment import payment_of
from services.intake.web.uploads import PIECE_BYTES
from shared.applicant import FIELD_LABELS
from shared.catalogue import Catalogue
from shared.events import utcnow
from shared.ids import uuid7
from shared.workflow import CANCELLABLE, SETTLED

__all__ = [
    "PAGE_SIZE",
    "Answer",
    "application_page",
    "applications_page",
    "field_labels",
    "names",
    "read_answer",
    "send_answer",
    "with_sla",
]


PAGE_SIZE = 20
"""Applications on one page of "My applications"; the next page follows by a link."""


def applications_page(
    page: Page,
    items: list[dict[str, Any]],
    drafts: list[dict[str, Any]],
    more: bool,
    region: str | None,
) -> Response:
    """``more``: older applications follow (the API's ``Link: rel="next"``); the next
    page starts after this page's last one. ``region``: the citizen's, for the times."""
    for draft in drafts:
        draft["updated_at"] = parse_time(draft["updated_at"])
    return page.render(
        "applications.html",
        items=[with_sla(item, page.catalogue) for item in items],
        drafts=drafts,
        names=names(page.catalogue),
        regions=region_names(page),
        next_before=items[-1]["id"] if more and items else None,
        older=bool(page.request.query_params.get("before")),
        region=region,
    )


def application_page(
    page: Page,
    item: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    *,
    region: str | None = None,
    complaints: list[dict[str, Any]] | None = None,
) -> Response:
    """One application; asked for information, the fields the officer asked for.
    ``region``: the citizen's, whose zone the times are shown in (else the
    application's); ``complaints``: its questions and complaints (None: not known just
    now)."""
    item = with_sla(item, page.catalogue)
    requested = []
    if item["status"] == "needs_info" and item["timeline"]:
        requested = item["timeline"][-1].get("requested_fields") or []
    service = page.catalogue.service(item["service"])
    schema = service.form if service is not None else {}
    return page.render(
        "application.html",
        status,
        item=item,
        region=region or item["region"],
        requested=requested,
        errors=errors,
        names=names(page.catalogue),
        agency=_agency_name(page.catalogue, item),
        document_kinds=list(service.documents) if service is not None else [],
        labels=field_labels(schema),
        answer_fields={f.name: f for f in fields_of(schema)},
        piece_bytes=PIECE_BYTES,
        shared=[FIELD_LABELS[f] for f in item.get("applicant_fields") or [] if f in FIELD_LABELS],
        cancellable=CANCELLABLE,
        complaints=complaints,
        complaint_key=uuid7(),
        payment=payment_of(item),
    )


def field_labels(schema: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each form field's label in both languages, from its title ("Keperluan /
    Purpose"); a field without a title reads as "data tambahan" in the page."""
    labels = {}
    for name, spec in schema.get("properties", {}).items():
        title = str(spec.get("title") or "")
        if title:
            indonesian, _, english = title.partition(" / ")
            labels[name] = (indonesian, english or indonesian)
    return labels


@dataclass(frozen=True)
class Answer:
    """The answer to a request for information, as its form was posted."""

    data: dict[str, Any]
    """The service form's fields, typed as its schema says."""
    note: str | None
    """Anything else typed: fields the schema does not know, and the note."""
    files: dict[str, Any]
    uploads: dict[str, str]
    """Documents the page's script already uploaded in pieces: ``{kind: upload id}``."""


def read_answer(schema: dict[str, Any], form: FormData) -> Answer:
    """``schema``: the service as the API describes it; a document asked for comes as a
    file."""
    properties = schema["form_schema"].get("properties", {})
    others = [
        f"{name}: {form.get('data.' + name)}"
        for name in form
        if name.startswith("data.")
        and name[5:] not in properties
        and str(form.get(name, "")).strip()
    ]
    note = "\n".join([*others, str(form.get("note", "")).strip()]).strip() or None
    files, uploads = attached(form, schema["documents"])
    return Answer(
        data=read_data(schema["form_schema"], form),
        note=note,
        files=files,
        uploads=uploads,
    )


async def send_answer(
    page: Page, client: httpx.AsyncClient, item: dict[str, Any], answer: Answer
) -> Response:
    """Send the answer, then back to the application; refused, its page with why."""
    errors: dict[str, str] = {}
    hashes = await send_documents(client, answer.files, answer.uploads, errors)
    if not errors:
        sent = await client.post(
            f"/api/v1/applications/{item['id']}/responses",
            json={"data": answer.data, "documents": hashes, "note": answer.note},
        )
        if sent.status_code == 202:
            return page.redirect(f"/portal/applications/{item['id']}?answered=1")
        problem = sent.json()
        errors = field_errors(problem, "data.") or {"": problem.get("detail", "")}
    profile = await me(client)
    region = profile and profile.get("region")
    complaints = await thread(page, item["id"])
    return application_page(page, item, errors, 422, region=region, complaints=complaints)


def with_sla(item: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """The application with its times parsed and the working days left (none once
    settled), counted in its region's calendar."""
    due = parse_time(item.get("sla_due_at"))
    decided = item["status"] in SETTLED
    item["days_left"] = (
        catalogue.calendar_for(item.get("region")).working_days_remaining(utcnow(), due)
        if due is not None and not decided
        else None
    )
    item["sla_due_at"] = due
    item["submitted_at"] = parse_time(item.get("submitted_at"))
    for entry in item.get("timeline", []):
        entry["at"] = parse_time(entry["at"])
    for result in item.get("results") or []:
        result["issued_at"] = parse_time(result.get("issued_at"))
    if item.get("cancellation_refused"):
        item["cancellation_refused"]["at"] = parse_time(item["cancellation_refused"].get("at"))
    return item


def names(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Each service's name in both languages, by its code."""
    return {service.code: service.name.model_dump() for service in catalogue.services}


def _agency_name(catalogue: Catalogue, item: dict[str, Any]) -> dict[str, str] | None:
    """The agency handling it (routed), else the one the routing rule names."""
    agency = catalogue.agency(item["agency"]) if item.get("agency") else None
    if agency is None:
        agency = catalogue.agency_for(item["service"], item["region"])
    return agency.name.model_dump() if agency is not None else None
