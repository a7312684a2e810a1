"""What the workbench does for an officer, one plain function per page action.

Every call goes through routing's agency API with the officer's own token; a handler
takes that API as an ``httpx.AsyncClient`` (a unit test answers with
``httpx.MockTransport``) and returns what the page should do — the context of a page,
or an outcome (:class:`SignedOut`, :class:`NotMoved`, :class:`Moved`) that the route
in :mod:`services.routing.web.workbench` turns into a response. Signing in is
:mod:`services.routing.web.workbench_signin`'s.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import FormData, UploadFile

from services.routing.web.applicant import applicant_rows
from services.routing.web.desk import SIGNED_OUT_ANSWERS, WorkbenchNotes, service_names
from services.routing.web.document_links import document_forms
from services.routing.web.form_rows import request_choices, with_labels
from services.routing.workflow import STATUSES
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.events import utcnow
from shared.workflow import ISSUING

__all__ = [
    "AddNote",
    "Missing",
    "MoveFromWorkbench",
    "Moved",
    "NotMoved",
    "QueueQuery",
    "ShowApplication",
    "SignedOut",
    "Upload",
    "add_note",
    "application_page",
    "move",
    "queue_page",
    "read_move",
]

APPLICATIONS = "/api/v1/agency/applications"


class SignedOut:
    """The agency API refused the officer's credential: back to the sign-in page."""


class Missing:
    """The application is not one of the officer's agency's (or does not exist)."""


@dataclass(frozen=True)
class QueueQuery:
    status: str | None
    page: int


async def queue_page(
    query: QueueQuery, api: httpx.AsyncClient, catalogue: Catalogue
) -> dict[str, Any] | SignedOut:
    """The queue page's context: a page of the agency's applications, overdue first."""
    params: dict[str, Any] = {"page": min(max(query.page, 1), 100_000), "page_size": 50}
    if query.status in STATUSES:
        params["status"] = query.status
    answer = await api.get(APPLICATIONS, params=params)
    if answer.status_code in SIGNED_OUT_ANSWERS:
        return SignedOut()
    listing = answer.json()
    return {
        "items": listing["items"],
        "next_page": listing["next_page"],
        "page": listing["page"],
        "status": query.status or "",
        "statuses": STATUSES,
        "names": service_names(catalogue),
    }


@dataclass(frozen=True)
class ShowApplication:
    """One application's page, for the officer (username) its document links name, in
    the page's language, with the error of a change just refused."""

    application_id: str
    officer: str = ""
    language: str = "id"
    error: str | None = None


async def application_page(
    query: ShowApplication,
    api: httpx.AsyncClient,
    *,
    catalogue: Catalogue,
    notes: WorkbenchNotes,
    settings: Any,
) -> dict[str, Any] | SignedOut | Missing:
    """The application page's context: the application as the agency API shows it (the
    read recorded there), its documents' links, the notes and the moves allowed."""
    answer = await api.get(f"{APPLICATIONS}/{query.application_id}")
    if answer.status_code in SIGNED_OUT_ANSWERS:
        return SignedOut()
    if answer.status_code != 200:
        return Missing()
    item = answer.json()
    service = catalogue.service(item["service"])
    declared = list(service.applicant_fields) if service else []
    found = await notes.of(query.application_id, item["agency"])
    _read_times(item)
    with_labels(service, item, query.language)
    return {
        "item": item,
        "applicant": applicant_rows(item.get("applicant"), declared, query.language),
        "links": document_forms(settings, item, query.officer),
        "choices": request_choices(service, query.language),
        "region": item.get("region"),
        "region_name": _region_name(catalogue, item.get("region")),
        "notes": found,
        "names": service_names(catalogue),
        "issuing": [to for to in item.get("allowed_next") or [] if to in ISSUING],
        "key": secrets.token_hex(12),
        "error": query.error,
    }


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None


@dataclass(frozen=True)
class MoveFromWorkbench:
    application_id: str
    to: str
    note: str | None
    requested: list[str]
    key: str
    upload: Upload | None = None


@dataclass(frozen=True)
class Moved:
    application_id: str
    to: str
    issued: str = ""

    @property
    def location(self) -> str:
        """The application page, saying what was done."""
        moved = urlencode({"moved": self.to, **({"issued": self.issued} if self.issued else {})})
        return f"/workbench/applications/{self.application_id}?{moved}"


@dataclass(frozen=True)
class NotMoved:
    """The application page again, with the reason; nothing was changed."""

    error: str


async def read_move(application_id: str, form: FormData) -> MoveFromWorkbench:
    """The transition form: the next status, the note, what is missing (ticked, and typed
    separated by commas), an attached result document, and the form's Idempotency-Key."""
    to = str(form.get("to", ""))
    requested = [str(v) for v in form.getlist("requested") if str(v).strip()]
    extra = str(form.get("requested_other", "")).strip()
    requested += [part.strip() for part in extra.split(",") if part.strip()]
    sent = form.get("result")
    upload = None
    if isinstance(sent, UploadFile) and sent.filename:
        upload = Upload(sent.filename, await sent.read(), sent.content_type)
    return MoveFromWorkbench(
        application_id=application_id,
        to=to,
        note=str(form.get("note", "")).strip() or None,
        requested=requested,
        key=str(form.get("key") or secrets.token_hex(12)),
        upload=upload,
    )


async def move(command: MoveFromWorkbench, api: httpx.AsyncClient) -> Moved | NotMoved | SignedOut:
    """A status change; with approved or completed, an attached result document is
    uploaded first (agency API) and issued with the change."""
    base = f"{APPLICATIONS}/{command.application_id}"
    body: dict[str, Any] = {"to": command.to, "note": command.note}
    if command.to == "needs_info":
        body["requested_fields"] = command.requested
    upload, issued = command.upload, ""
    if upload is not None and command.to not in ISSUING:
        return NotMoved(
            "Dokumen hasil hanya dilampirkan saat menyetujui atau menyelesaikan / A result "
            "document goes only with approving or completing; nothing was changed."
        )
    if upload is not None:
        file = (upload.filename, upload.content, upload.content_type)
        stored = await api.post(f"{base}/results", files={"file": file})
        if stored.status_code in SIGNED_OUT_ANSWERS:
            return SignedOut()
        if stored.status_code != 201:  # too large, or not a PDF, JPEG or PNG
            problem = stored.json()
            return NotMoved(": ".join(filter(None, [problem.get("title"), problem.get("detail")])))
        body["results"] = [stored.json()["sha256"]]
        issued = stored.json()["code"]
    answer = await api.post(
        f"{base}/transitions", json=body, headers={"Idempotency-Key": command.key}
    )
    if answer.status_code in SIGNED_OUT_ANSWERS:
        return SignedOut()
    if answer.status_code != 200:
        problem = answer.json()
        return NotMoved(problem.get("detail") or problem.get("title"))
    return Moved(command.application_id, command.to, issued)


@dataclass(frozen=True)
class AddNote:
    application_id: str
    text: str
    officer: CitizenPrincipal | None


async def add_note(
    command: AddNote, api: httpx.AsyncClient, notes: WorkbenchNotes
) -> SignedOut | None:
    """An internal note, on an application the officer's agency may read."""
    answer = await api.get(f"{APPLICATIONS}/{command.application_id}")
    if answer.status_code != 200:
        return SignedOut()
    officer = command.officer
    if command.text and officer is not None:
        await notes.add(
            {
                "application_id": command.application_id,
                "agency": answer.json()["agency"],
                "officer": officer.subject,
                "officer_name": officer.name,
                "text": command.text,
                "at": utcnow(),
            }
        )
    return None


def _read_times(item: dict[str, Any]) -> None:
    """The times the page writes in words (in the application's region's zone), parsed."""
    for response in item.get("responses") or []:
        response["at"] = _parse_time(response.get("at"))
    if item.get("cancellation"):
        item["cancellation"]["at"] = _parse_time(item["cancellation"].get("at"))
    for result in item.get("results") or []:
        result["issued_at"] = _parse_time(result.get("issued_at"))


def _region_name(catalogue: Catalogue, code: str | None) -> str | None:
    region = catalogue.region(code) if code else None
    return region.name if region is not None else None


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
