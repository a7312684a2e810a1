"""What the agency API does, one plain function per request, reached without HTTP.

Each route of :mod:`services.routing.agency_api` builds a command (who calls, and what
they ask) and hands it to a handler here, with the parts the handler needs: the
agency's applications (:class:`~services.routing.agency_applications.AgencyApplications`),
the result documents, the workflow, and a unit of work for what it writes. A refusal is
a :class:`~shared.problems.Problem` (problem+json, Bahasa Indonesia first).

Every read of one application, and every transition, is recorded as a ``DataAccessed``
event naming the caller (``<agency>/<username>`` or ``<agency>/key:<key id>``), written
in the same unit of work as what it records.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError
from starlette.datastructures import UploadFile

from services.routing.agency_applications import AgencyApplications
from services.routing.agency_models import Caller, TransitionRequest
from services.routing.announcements import envelope
from services.routing.applicants import readable_answers, readable_applicant
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.release import FeeUnpaid
from services.routing.results import ResultStore, UnknownResult
from services.routing.seen import api_source
from services.routing.workflow import (
    IllegalTransition,
    StatusChange,
    UnknownApplication,
    allowed_next,
    change_status,
)
from shared.catalogue import Catalogue
from shared.events import (
    AgencyReportData,
    AgencyStatusReported,
    DataAccessed,
    DocumentRevoked,
    DocumentRevokedData,
    utcnow,
)
from shared.idempotency import fingerprint, key_reused
from shared.privacy.access import data_accessed
from shared.privacy.personal import Personal
from shared.problems import Problem
from shared.unit_of_work import Transaction, UnitOfWork

__all__ = [
    "ListApplications",
    "MoveApplication",
    "ReadApplication",
    "RevokeResult",
    "UploadResult",
    "application_view",
    "list_applications",
    "move_application",
    "read_application",
    "revoke_result",
    "upload_result",
]


@dataclass(frozen=True)
class ListApplications:
    caller: Caller
    status: str | None
    page: int
    page_size: int


@dataclass(frozen=True)
class ReadApplication:
    caller: Caller
    application_id: str


@dataclass(frozen=True)
class MoveApplication:
    caller: Caller
    application_id: str
    request: TransitionRequest
    idempotency_key: str | None = None


@dataclass(frozen=True)
class UploadResult:
    caller: Caller
    application_id: str
    file: UploadFile


@dataclass(frozen=True)
class RevokeResult:
    caller: Caller
    code: str
    reason: str


async def list_applications(
    query: ListApplications, applications: AgencyApplications, *, catalogue: Catalogue
) -> dict:
    """The agency's applications, earliest due date first: the overdue ones lead."""
    size = query.page_size
    found = await applications.page(
        query.caller.agency, query.status, (query.page - 1) * size, size + 1
    )
    views = [application_view(a, catalogue) for a in found[:size]]
    views.sort(key=lambda v: not v["overdue"])  # stable: decided ones after overdue
    return {
        "items": views,
        "page": query.page,
        "page_size": size,
        "next_page": query.page + 1 if len(found) > size else None,
    }


async def read_application(
    command: ReadApplication,
    uow: UnitOfWork,
    *,
    applications: AgencyApplications,
    access_topic: str,
    catalogue: Catalogue,
    personal: Personal,
) -> dict:
    """One application with its form, documents and applicant; the read is recorded
    first."""
    who, application_id = command.caller, command.application_id
    application = await applications.one(who.agency, application_id)
    if application is None:
        raise _not_found(application_id)
    accessed = data_accessed(
        **_about(application),
        application_id=application_id,
        actor_kind="officer",
        actor_id=who.actor_id,
        agency=who.agency,
        purpose="memproses permohonan / processing the application",
    )

    async def record(tx: Transaction) -> None:
        tx.emit(access_topic, accessed)

    await uow.run(record)
    service = catalogue.service(application["service"])
    declared = list(service.applicant_fields) if service else []
    applicant, erased = await readable_applicant(
        personal, application.get("applicant"), declared, application.get("citizen_id") or ""
    )
    return application_view(application, catalogue, detail=True) | {
        **await readable_answers(personal, application),
        "applicant": applicant,
        "applicant_erased": erased,
    }


async def move_application(
    command: MoveApplication,
    uow: RoutingUnitOfWork,
    *,
    applications: AgencyApplications,
    results: ResultStore | None,
    access_topic: str,
    workflow: Callable[[RoutingUnitOfWork, StatusChange], Awaitable[dict]] = change_status,
) -> dict:
    """Move an application to its next status: one change per ``Idempotency-Key``, the
    named result documents issued with it, and the caller recorded in its transaction
    (``workflow``: :func:`~services.routing.workflow.change_status`)."""
    who, application_id, body = command.caller, command.application_id, command.request
    if body.to == "needs_info" and not body.requested_fields:
        raise Problem(
            422,
            "Data tidak valid / Invalid data",
            "Sebutkan data yang kurang di requested_fields / "
            "list what is missing in requested_fields",
        )
    application = await applications.one(
        who.agency, application_id, {"region": 1, "correlation_id": 1}
    )
    if application is None:
        raise _not_found(application_id)
    binding = await _binding(command, applications)
    drafts = await _drafts(command, results)
    cause = _report(command, application)

    async def bind_key(current: dict, tx: Transaction) -> None:
        """With the change, in its transaction: the key's binding, and who made it."""
        if binding is not None:
            await applications.bind(binding, tx.session)
        tx.emit(access_topic, _moved_by(who, current, body.to, cause))

    change = StatusChange(
        application_id=application_id,
        to=body.to,
        actor="agency",
        cause=cause,
        source=api_source(who.agency),
        note=body.note,
        agency=who.agency,
        requested_fields=body.requested_fields,
        results=drafts,
        within=bind_key,
    )
    try:
        updated = await workflow(uow, change)
    except UnknownApplication:
        raise _not_found(application_id) from None
    except DuplicateKeyError:  # the same key, at the same moment, from another request
        raise key_reused() from None
    except IllegalTransition as exc:
        raise _not_allowed(exc) from None
    except FeeUnpaid:
        raise Problem(
            409,
            "Biaya belum dibayar / Fee not paid",
            "Pemohon belum membayar tagihan layanan ini; selesaikan setelah dibayar / "
            "The citizen has not paid this service's bill; complete it once paid",
            code="fee_unpaid",
        ) from None
    except ValueError as exc:
        raise Problem(422, "Data tidak valid / Invalid data", str(exc)) from None
    return application_view(updated, uow.catalogue)


async def upload_result(
    command: UploadResult, *, applications: AgencyApplications, results: ResultStore | None
) -> dict:
    """A draft result document for one of the agency's applications."""
    store = _kept(results)
    who, application_id = command.caller, command.application_id
    application = await applications.one(who.agency, application_id, {"citizen_id": 1})
    if application is None:
        raise _not_found(application_id)
    citizen = application.get("citizen_id")
    return uploaded(await store.upload(who.agency, application_id, citizen, command.file))


async def revoke_result(
    command: RevokeResult,
    uow: UnitOfWork,
    *,
    applications: AgencyApplications,
    results: ResultStore | None,
    documents_topic: str,
) -> dict:
    """Revoke one of the agency's issued result documents: shown revoked on its
    application and announced on the documents topic, in one transaction."""
    store = _kept(results)
    who, reason = command.caller, command.reason
    by = who.actor_id

    async def write(tx: Transaction) -> dict | None:
        row = await store.revoke(who.agency, command.code, reason, by, tx.session)
        if row is None:
            return None
        application = await applications.mark_revoked(row, reason, tx.session) or {}
        tx.emit(documents_topic, _revoked(row, application, reason, by))
        return row

    row = await uow.run(write)
    if row is None:
        raise Problem(
            404,
            "Tidak ditemukan / Not found",
            f"Tidak ada dokumen terbit {command.code} dari instansi Anda / no issued document "
            f"{command.code} of your agency (a revoked one cannot be revoked again)",
        )
    return uploaded(row)


def application_view(application: dict, catalogue: Catalogue, detail: bool = False) -> dict:
    """An application as the agency API shows it (``ApplicationView``, or with
    ``detail`` an ``ApplicationDetail``); the working days left are its region's."""
    due = application.get("sla_due_at")
    decided = not allowed_next(application["status"], "agency")
    calendar = catalogue.calendar_for(application.get("region"))
    left = calendar.working_days_remaining(utcnow(), due) if due is not None else None
    view = {
        "id": application["_id"],
        "tracking_number": application["tracking_number"],
        "service": application["service"],
        "region": application["region"],
        "agency": application["agency"],
        "status": application["status"],
        "sequence": application["sequence"],
        "allowed_next": allowed_next(application["status"], "agency"),
        "sla_due_at": due,
        "working_days_left": left,
        "overdue": bool(due is not None and not decided and due < utcnow()),
        "delivery_state": application.get("delivery_state"),
        "submitted_at": application.get("submitted_at"),
        "updated_at": application.get("updated_at"),
    }
    if detail:
        view["form"] = application.get("form", {})
        view["documents"] = application.get("documents", [])
        view["applicant"] = application.get("applicant")
        view["requested_fields"] = application.get("requested_fields") or []
        view["responses"] = application.get("responses") or []
        view["cancellation"] = application.get("cancellation")
        view["results"] = application.get("results") or []
    return view


def uploaded(row: dict) -> dict:
    """A result document as the agency API shows it (``UploadedResult``)."""
    return {
        "code": row["_id"],
        **{k: row[k] for k in ("sha256", "name", "content_type", "size", "state")},
    }


async def _binding(command: MoveApplication, applications: AgencyApplications) -> dict | None:
    """The ``Idempotency-Key``'s binding to this change, refused (422) when the key was
    used for another application or another body; None without a key."""
    if not command.idempotency_key:
        return None
    binding = {
        "_id": f"{command.caller.agency}:{command.idempotency_key}",
        "application_id": command.application_id,
        "fingerprint": fingerprint(
            command.request.model_dump(mode="json"), application=command.application_id
        ),
        "at": utcnow(),
    }
    stored = await applications.binding(binding["_id"])
    if stored is not None and stored["fingerprint"] != binding["fingerprint"]:
        raise key_reused()
    return binding


async def _drafts(command: MoveApplication, results: ResultStore | None) -> list[dict]:
    """The draft result documents the change names, each uploaded first (else 422)."""
    if not command.request.results:
        return []
    store = _kept(results)
    try:
        return await store.drafts(
            command.caller.agency, command.application_id, command.request.results
        )
    except UnknownResult as exc:
        raise Problem(
            422,
            "Dokumen hasil belum diunggah / Result document not uploaded",
            str(exc),
            errors=[{"field": "results", "message": "not uploaded"}],
        ) from None


def _report(command: MoveApplication, application: dict) -> AgencyStatusReported:
    """The change as the agency reported it: with an ``Idempotency-Key``, an id of its
    own, so the same key twice is one change."""
    who, application_id, body = command.caller, command.application_id, command.request
    fields: dict[str, Any] = {}
    if command.idempotency_key:
        fields["id"] = f"agency-api:{who.agency}:{command.idempotency_key}"
    return AgencyStatusReported(
        **fields,
        source=f"agency:{who.agency}",
        subject=application_id,
        region=application["region"],
        correlation_id=application.get("correlation_id") or application_id,
        data=AgencyReportData(
            application_id=application_id,
            agency=who.agency,
            status=body.to,
            note=body.note,
            requested_fields=body.requested_fields,
            results=body.results,
        ),
    )


def _moved_by(who: Caller, application: dict, to: str, cause: AgencyStatusReported) -> DataAccessed:
    """A transition is the agency acting on the citizen's data: recorded like a read,
    naming the person (the status change itself says only ``agency``)."""
    return data_accessed(
        **_about(application, cause),
        application_id=application["_id"],
        actor_kind="officer",
        actor_id=who.actor_id,
        agency=who.agency,
        purpose=f"mengubah status menjadi {to} / moved the status to {to}",
    )


def _revoked(row: dict, application: dict, reason: str, by: str) -> DocumentRevoked:
    return DocumentRevoked(
        **envelope({**application, "_id": row["application_id"]}),
        data=DocumentRevokedData(
            code=row["_id"],
            sha256=row["sha256"],
            application_id=row["application_id"],
            agency=row["agency"],
            reason=reason,
            revoked_by=by,
            revoked_at=row["revoked_at"],
        ),
    )


def _kept(results: ResultStore | None) -> ResultStore:
    if results is None:
        raise Problem(503, "Tidak tersedia / Unavailable", "Results are not kept here.")
    return results


def _not_found(application_id: str) -> Problem:
    return Problem(
        404,
        "Tidak ditemukan / Not found",
        f"Permohonan {application_id} tidak ada di instansi Anda / "
        f"application {application_id} is not one of your agency's",
    )


def _not_allowed(exc: IllegalTransition) -> Problem:
    return Problem(
        409,
        "Perubahan status tidak diizinkan / Transition not allowed",
        f"Status {exc.current} tidak dapat diubah ke {exc.to}; pilih salah satu: "
        f"{', '.join(exc.allowed) or '-'} / {exc}",
        current=exc.current,
        allowed_next=exc.allowed,
    )


def _about(application: dict, cause: AgencyStatusReported | None = None) -> dict[str, Any]:
    """Routing's envelope for a read record: who records it and where it belongs."""
    around = envelope(application, cause)
    del around["subject"]
    return around
