"""A citizen's applications on the portal: the list with the drafts still to submit,
one application's page (its timeline, working days left, results), and the answer to
a request for information read from its form.

Dates come from the API as ISO text and are shown as dates; a result's date of issue
is the one printed on the paper, in Western Indonesian Time.
"""

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.intake.applicant import FIELD_LABELS
from services.intake.web.client import (
    documents_in,
    field_errors,
    parse_time,
    upload_documents,
)
from services.intake.web.deps import Page
from services.intake.web.forms import read_data
from shared.calendar import WIB, working_days_remaining
from shared.catalogue import Catalogue
from shared.events import utcnow
from shared.workflow import CANCELLABLE, SETTLED

__all__ = [
    "Answer",
    "application_page",
    "applications_page",
    "names",
    "read_answer",
    "send_answer",
    "with_sla",
]


def applications_page(
    page: Page, items: list[dict[str, Any]], drafts: list[dict[str, Any]]
) -> Response:
    for draft in drafts:
        draft["updated_at"] = parse_time(draft["updated_at"])
    return page.render(
        "applications.html",
        items=[with_sla(item) for item in items],
        drafts=drafts,
        names=names(page.catalogue),
    )


def application_page(
    page: Page, item: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    """One application; asked for information, the fields the officer asked for."""
    item = with_sla(item)
    requested = []
    if item["status"] == "needs_info" and item["timeline"]:
        requested = item["timeline"][-1].get("requested_fields") or []
    service = page.catalogue.service(item["service"])
    return page.render(
        "application.html",
        status,
        item=item,
        requested=requested,
        errors=errors,
        names=names(page.catalogue),
        agency=_agency_name(page.catalogue, item),
        document_kinds=list(service.documents) if service is not None else [],
        shared=[FIELD_LABELS[f] for f in item.get("applicant_fields") or [] if f in FIELD_LABELS],
        cancellable=CANCELLABLE,
    )


@dataclass(frozen=True)
class Answer:
    """The answer to a request for information, as its form was posted."""

    data: dict[str, Any]
    """The service form's fields, typed as its schema says."""
    note: str | None
    """Anything else typed: fields the schema does not know, and the note."""
    files: dict[str, Any]


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
    return Answer(
        data=read_data(schema["form_schema"], form),
        note=note,
        files=documents_in(form, schema["documents"]),
    )


async def send_answer(
    page: Page, client: httpx.AsyncClient, item: dict[str, Any], answer: Answer
) -> Response:
    """Send the answer, then back to the application; refused, its page with why."""
    errors: dict[str, str] = {}
    hashes = await upload_documents(client, answer.files, errors)
    if not errors:
        sent = await client.post(
            f"/api/v1/applications/{item['id']}/responses",
            json={"data": answer.data, "documents": hashes, "note": answer.note},
        )
        if sent.status_code == 202:
            return page.redirect(f"/portal/applications/{item['id']}?answered=1")
        problem = sent.json()
        errors = field_errors(problem, "data.") or {"": problem.get("detail", "")}
    return application_page(page, item, errors, 422)


def with_sla(item: dict[str, Any]) -> dict[str, Any]:
    """The application with its times parsed and the working days left (none once
    settled)."""
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


def names(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Each service's name in both languages, by its code."""
    return {service.code: service.name.model_dump() for service in catalogue.services}


def _agency_name(catalogue: Catalogue, item: dict[str, Any]) -> dict[str, str] | None:
    """The agency handling it (routed), else the one the routing rule names."""
    agency = catalogue.agency(item["agency"]) if item.get("agency") else None
    if agency is None:
        agency = catalogue.agency_for(item["service"], item["region"])
    return agency.name.model_dump() if agency is not None else None
