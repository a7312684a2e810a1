"""The agency API: officers and agency systems list, read and move their applications,
and hand back the result.

Every request carries a credential in ``Authorization: Bearer ...``: an agency API key
(``mppak_...``, for an agency's own systems, recorded as ``key:<key id>``) or an agency
officer's or supervisor's own access token (signed by intake, with an ``agency`` claim;
recorded as their username, :mod:`services.routing.staff_access`). The credential
decides the agency, and an agency sees only its own applications — another agency's
application answers 404, exactly like one that does not exist. Every read of one
application, and every transition, is recorded as a ``DataAccessed`` event naming
``<agency>/<username>`` or ``<agency>/key:<key id>`` (citizens see who read their data);
the status change itself stays the agency's (``actor: agency``). Nothing a caller types
names a person: an ``X-Officer-Id`` header is ignored.

An ``Idempotency-Key`` on a transition is bound to the agency, the application and the
request body: the same key again answers the same change; with another application or
another body it is refused (422), so a client's mistake never passes silently.
"""

import hashlib
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, File, Header, Query, UploadFile
from pydantic import BaseModel, Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from services.routing.applicants import readable_applicant
from services.routing.dispatch import Router, UnknownApplication
from services.routing.keys import ApiKeys, key_id_of
from services.routing.results import UnknownResult
from services.routing.staff_access import AgencyStaff
from services.routing.workflow import STATUSES, IllegalTransition, allowed_next
from shared.calendar import working_days_remaining
from shared.events import (
    AccessData,
    AgencyReportData,
    AgencyStatusReported,
    DataAccessed,
    DocumentRevoked,
    DocumentRevokedData,
    utcnow,
)
from shared.mongo import in_transaction
from shared.privacy.personal import Personal
from shared.problems import Problem

__all__ = ["agency_router"]

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Caller(BaseModel):
    """Who calls: an agency's system (``key_id``) or one of its staff (``staff``)."""

    agency: str
    key_id: str | None = None
    staff: str | None = Field(None, description="The staff member's username.")

    @property
    def actor_id(self) -> str:
        """How records name the caller: ``<agency>/<username>`` or ``<agency>/key:<id>``."""
        return f"{self.agency}/{self.staff or 'key:' + str(self.key_id)}"


class TransitionRequest(BaseModel):
    to: Status = Field(description="The next status.")
    note: str | None = Field(None, max_length=2000, description="Shown to the citizen.")
    requested_fields: list[str] = Field(
        default_factory=list, max_length=50, description="With needs_info: what is missing."
    )
    results: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list,
        max_length=10,
        description="With approved or completed: sha256 of result documents uploaded first "
        "(POST /applications/{id}/results); they are issued with this change.",
    )


class RevokeRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=500, description="Why, shown on verification.")


class UploadedResult(BaseModel):
    code: str = Field(description="Verification code; verifies once the document is issued.")
    sha256: str
    name: str
    content_type: str
    size: int
    state: Literal["draft", "issued", "revoked"]


class ApplicationView(BaseModel):
    id: str
    tracking_number: str
    service: str
    region: str
    agency: str
    status: str
    sequence: int
    allowed_next: list[str]
    sla_due_at: Any = None
    working_days_left: int | None = None
    overdue: bool = False
    delivery_state: str | None = None
    submitted_at: Any = None
    updated_at: Any = None


class ApplicationDetail(ApplicationView):
    form: dict[str, Any] = Field(default_factory=dict)
    documents: list[dict[str, Any]] = Field(default_factory=list)
    applicant: dict[str, Any] | None = Field(
        None, description="Who applied: only the fields the service declares."
    )
    applicant_erased: bool = Field(
        False,
        description="The citizen erased their account: their personal data can no longer be "
        "read (docs/privacy.md).",
    )
    requested_fields: list[str] = Field(default_factory=list)
    responses: list[dict[str, Any]] = Field(
        default_factory=list, description="The citizen's answers to needs_info, oldest first."
    )
    cancellation: dict[str, Any] | None = None
    results: list[dict[str, Any]] = Field(default_factory=list, description="Issued results.")


class ApplicationPage(BaseModel):
    items: list[ApplicationView]
    page: int
    page_size: int
    next_page: int | None


def _view(application: dict, detail: bool = False) -> dict:
    due = application.get("sla_due_at")
    decided = not allowed_next(application["status"], "agency")
    left = working_days_remaining(utcnow(), due) if due is not None else None
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


def _not_found(application_id: str) -> Problem:
    return Problem(
        404,
        "Tidak ditemukan / Not found",
        f"Permohonan {application_id} tidak ada di instansi Anda / "
        f"application {application_id} is not one of your agency's",
    )


def _moved_by(who: Caller, application: dict, to: str, cause: AgencyStatusReported) -> DataAccessed:
    """A transition is the agency acting on the citizen's data: recorded like a read,
    naming the person (the status change itself says only ``agency``)."""
    return DataAccessed(
        source="routing",
        subject=application["_id"],
        region=application["region"],
        correlation_id=cause.correlation_id,
        causation_id=cause.id,
        data=AccessData(
            application_id=application["_id"],
            actor_kind="officer",
            actor_id=who.actor_id,
            agency=who.agency,
            purpose=f"mengubah status menjadi {to} / moved the status to {to}",
        ),
    )


def _fingerprint(application_id: str, body: TransitionRequest) -> str:
    canonical = orjson.dumps(
        {"application": application_id, "body": body.model_dump(mode="json")},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def _key_reused() -> Problem:
    return Problem(
        422,
        "Idempotency-Key sudah dipakai / Idempotency-Key already used",
        "Kunci ini sudah dipakai untuk permintaan lain (permohonan atau isi berbeda); buat "
        "kunci baru untuk setiap perubahan / This key was used for a different request "
        "(another application or body); use a fresh key for every change.",
    )


def agency_router(
    router: Router, keys: ApiKeys, staff: AgencyStaff, personal: Personal
) -> APIRouter:
    api = APIRouter(prefix="/api/v1/agency", tags=["agency"])
    applications = router.db["applications"]
    idempotency = router.db["agency_idempotency"]
    results = router.results

    async def caller(authorization: Annotated[str | None, Header()] = None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token and key_id_of(token) is None:
            member = await staff.member(token)
            assert member.agency is not None  # agency_role implies it
            return Caller(agency=member.agency, staff=member.subject)
        found = await keys.authenticate(token) if scheme.lower() == "bearer" else None
        if found is None:
            raise Problem(
                401,
                "Kunci API tidak valid / Invalid API key",
                "Kirim header Authorization: Bearer <kunci API instansi> (diterbitkan dengan "
                "`mpp agency issue-key`) atau <token petugas> (masuk di POST /api/v1/auth/token) "
                "/ send Authorization: Bearer <agency API key>, issued with `mpp agency "
                "issue-key`, or <officer's access token>, from POST /api/v1/auth/token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Caller(agency=found[0], key_id=found[1])

    Auth = Annotated[Caller, Depends(caller)]

    @api.get("/applications", response_model=ApplicationPage)
    async def list_applications(
        who: Auth,
        status: Annotated[Status | None, Query(description="Only this status.")] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict:
        """The agency's applications, earliest due date first: the overdue ones lead."""
        query: dict[str, Any] = {"agency": who.agency}
        if status is not None:
            query["status"] = status
        found = (
            await applications.find(query, {"form": 0, "documents": 0})
            .sort([("sla_due_at", 1), ("_id", 1)])
            .skip((page - 1) * page_size)
            .limit(page_size + 1)
            .to_list(page_size + 1)
        )
        views = [_view(a) for a in found[:page_size]]
        views.sort(key=lambda v: not v["overdue"])  # stable: decided ones after overdue
        return {
            "items": views,
            "page": page,
            "page_size": page_size,
            "next_page": page + 1 if len(found) > page_size else None,
        }

    @api.get("/applications/{application_id}", response_model=ApplicationDetail)
    async def get_application(application_id: str, who: Auth) -> dict:
        """One application with its form and documents; the read is recorded."""
        application = await applications.find_one({"_id": application_id, "agency": who.agency})
        if application is None:
            raise _not_found(application_id)
        accessed = DataAccessed(
            source="routing",
            subject=application_id,
            region=application["region"],
            correlation_id=application.get("correlation_id") or application_id,
            data=AccessData(
                application_id=application_id,
                actor_kind="officer",
                actor_id=who.actor_id,
                agency=who.agency,
                purpose="memproses permohonan / processing the application",
            ),
        )

        async def record(session: Any) -> None:
            await router.outbox.stage([(router.topics.access, accessed)], session)

        await in_transaction(router.mongo, record)
        router.outbox.wake()
        service = router.catalogue.service(application["service"])
        declared = list(service.applicant_fields) if service else []
        applicant, erased = await readable_applicant(
            personal, application.get("applicant"), declared
        )
        return _view(application, detail=True) | {
            "applicant": applicant,
            "applicant_erased": erased,
        }

    @api.post("/applications/{application_id}/transitions", response_model=ApplicationView)
    async def transition(
        application_id: str,
        body: TransitionRequest,
        who: Auth,
        idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
    ) -> dict:
        """Move an application to its next status; the same Idempotency-Key twice is one
        change."""
        if body.to == "needs_info" and not body.requested_fields:
            raise Problem(
                422,
                "Data tidak valid / Invalid data",
                "Sebutkan data yang kurang di requested_fields / "
                "list what is missing in requested_fields",
            )
        application = await applications.find_one(
            {"_id": application_id, "agency": who.agency}, {"region": 1, "correlation_id": 1}
        )
        if application is None:
            raise _not_found(application_id)
        report_fields: dict[str, Any] = {}
        binding: dict[str, Any] | None = None
        if idempotency_key:
            binding = {
                "_id": f"{who.agency}:{idempotency_key}",
                "application_id": application_id,
                "fingerprint": _fingerprint(application_id, body),
                "at": utcnow(),
            }
            stored = await idempotency.find_one({"_id": binding["_id"]})
            if stored is not None and stored["fingerprint"] != binding["fingerprint"]:
                raise _key_reused()
            report_fields["id"] = f"agency-api:{who.agency}:{idempotency_key}"
        drafts: list[dict] = []
        if body.results:
            if results is None:
                raise Problem(503, "Tidak tersedia / Unavailable", "Results are not kept here.")
            try:
                drafts = await results.drafts(who.agency, application_id, body.results)
            except UnknownResult as exc:
                raise Problem(
                    422,
                    "Dokumen hasil belum diunggah / Result document not uploaded",
                    str(exc),
                    errors=[{"field": "results", "message": "not uploaded"}],
                ) from None
        cause = AgencyStatusReported(
            **report_fields,
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

        async def bind_key(current: dict, session: AsyncClientSession) -> list:
            """With the change, in its transaction: the key's binding, and who made it."""
            if binding is not None:
                await idempotency.insert_one(binding, session=session)
            return [(router.topics.access, _moved_by(who, current, body.to, cause))]

        try:
            updated = await router.transition(
                cause,
                application_id=application_id,
                to=body.to,
                actor="agency",
                agency=who.agency,
                note=body.note,
                requested_fields=body.requested_fields,
                results=drafts,
                within=bind_key,
            )
        except UnknownApplication:
            raise _not_found(application_id) from None
        except DuplicateKeyError:  # the same key, at the same moment, from another request
            raise _key_reused() from None
        except IllegalTransition as exc:
            raise Problem(
                409,
                "Perubahan status tidak diizinkan / Transition not allowed",
                f"Status {exc.current} tidak dapat diubah ke {exc.to}; pilih salah satu: "
                f"{', '.join(exc.allowed) or '-'} / {exc}",
                current=exc.current,
                allowed_next=exc.allowed,
            ) from None
        except ValueError as exc:
            raise Problem(422, "Data tidak valid / Invalid data", str(exc)) from None
        return _view(updated)

    @api.post(
        "/applications/{application_id}/results",
        status_code=201,
        response_model=UploadedResult,
        summary="Upload a result document (PDF, JPEG or PNG)",
    )
    async def upload_result(
        application_id: str, who: Auth, file: Annotated[UploadFile, File()]
    ) -> dict:
        """A draft result for one of your applications; name its sha256 in ``results``
        when approving or completing (agency API or Kafka report) to issue it. The code
        is printed on the document and verifies once it is issued."""
        if results is None:
            raise Problem(503, "Tidak tersedia / Unavailable", "Results are not kept here.")
        found = await applications.find_one(
            {"_id": application_id, "agency": who.agency}, {"_id": 1}
        )
        if found is None:
            raise _not_found(application_id)
        row = await results.upload(who.agency, application_id, file)
        return {
            "code": row["_id"],
            **{k: row[k] for k in ("sha256", "name", "content_type", "size", "state")},
        }

    @api.post(
        "/results/{code}/revocation",
        response_model=UploadedResult,
        summary="Revoke an issued result document",
    )
    async def revoke_result(code: str, body: RevokeRequest, who: Auth) -> dict:
        """Verification shows the document as revoked, with the reason, from now on."""
        if results is None:
            raise Problem(503, "Tidak tersedia / Unavailable", "Results are not kept here.")
        by = who.actor_id

        async def work(session: AsyncClientSession) -> dict | None:
            row = await results.revoke(who.agency, code, body.reason, by, session)
            if row is None:
                return None
            application = await applications.find_one(
                {"_id": row["application_id"]},
                {"region": 1, "correlation_id": 1, "results": 1},
                session=session,
            )
            if application is not None:  # the workbench and agency API show it revoked
                marked = [
                    {**r, "revoked_at": row["revoked_at"], "revocation_reason": body.reason}
                    if r["code"] == row["_id"]
                    else r
                    for r in application.get("results") or []
                ]
                await applications.update_one(
                    {"_id": row["application_id"]}, {"$set": {"results": marked}}, session=session
                )
            revoked = DocumentRevoked(
                source="routing",
                subject=row["application_id"],
                region=(application or {}).get("region"),
                correlation_id=(application or {}).get("correlation_id") or row["application_id"],
                data=DocumentRevokedData(
                    code=row["_id"],
                    sha256=row["sha256"],
                    application_id=row["application_id"],
                    agency=row["agency"],
                    reason=body.reason,
                    revoked_by=by,
                    revoked_at=row["revoked_at"],
                ),
            )
            await router.outbox.stage([(router.topics.documents, revoked)], session)
            return row

        row = await in_transaction(router.mongo, work)
        router.outbox.wake()
        if row is None:
            raise Problem(
                404,
                "Tidak ditemukan / Not found",
                f"Tidak ada dokumen terbit {code} dari instansi Anda / no issued document "
                f"{code} of your agency (a revoked one cannot be revoked again)",
            )
        return {
            "code": row["_id"],
            **{k: row[k] for k in ("sha256", "name", "content_type", "size", "state")},
        }

    return api
