"""The agency API: officers and agency systems list, read and move their applications.

Every request carries an agency API key (``Authorization: Bearer mppak_...``); the key
decides the agency, and an agency sees only its own applications — another agency's
application answers 404, exactly like one that does not exist. Every read of one
application is recorded as a ``DataAccessed`` event (citizens see who read their data).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, Field

from services.routing.dispatch import Router, UnknownApplication
from services.routing.keys import ApiKeys
from services.routing.workflow import STATUSES, IllegalTransition, allowed_next
from shared.calendar import working_days_remaining
from shared.events import AccessData, AgencyReportData, AgencyStatusReported, DataAccessed, utcnow
from shared.mongo import in_transaction
from shared.problems import Problem

__all__ = ["agency_router"]

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Caller(BaseModel):
    agency: str
    key_id: str
    officer: str | None = None


class TransitionRequest(BaseModel):
    to: Status = Field(description="The next status.")
    note: str | None = Field(None, max_length=2000, description="Shown to the citizen.")
    requested_fields: list[str] = Field(
        default_factory=list, max_length=50, description="With needs_info: what is missing."
    )


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
    return view


def _not_found(application_id: str) -> Problem:
    return Problem(
        404,
        "Tidak ditemukan / Not found",
        f"Permohonan {application_id} tidak ada di instansi Anda / "
        f"application {application_id} is not one of your agency's",
    )


def agency_router(router: Router, keys: ApiKeys) -> APIRouter:
    api = APIRouter(prefix="/api/v1/agency", tags=["agency"])
    applications = router.db["applications"]

    async def caller(
        authorization: Annotated[str | None, Header()] = None,
        x_officer_id: Annotated[str | None, Header(max_length=100)] = None,
    ) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        found = await keys.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise Problem(
                401,
                "Kunci API tidak valid / Invalid API key",
                "Kirim header Authorization: Bearer <kunci API instansi>; kunci diterbitkan "
                "dengan `mpp agency issue-key` / send Authorization: Bearer <agency API key>, "
                "issued with `mpp agency issue-key`",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Caller(agency=found[0], key_id=found[1], officer=x_officer_id)

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
                actor_id=f"{who.agency}/{who.officer or 'key:' + who.key_id}",
                agency=who.agency,
                purpose="memproses permohonan / processing the application",
            ),
        )

        async def record(session: Any) -> None:
            await router.outbox.stage([(router.topics.access, accessed)], session)

        await in_transaction(router.mongo, record)
        router.outbox.wake()
        return _view(application, detail=True)

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
        if idempotency_key:
            report_fields["id"] = f"agency-api:{who.agency}:{idempotency_key}"
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
            ),
        )
        try:
            updated = await router.transition(
                cause,
                application_id=application_id,
                to=body.to,
                actor="agency",
                agency=who.agency,
                note=body.note,
                requested_fields=body.requested_fields,
            )
        except UnknownApplication:
            raise _not_found(application_id) from None
        except IllegalTransition as exc:
            raise Problem(
                409,
                "Perubahan status tidak diizinkan / Transition not allowed",
                f"Status {exc.current} tidak dapat diubah ke {exc.to}; pilih salah satu: "
                f"{', '.join(exc.allowed) or '-'} / {exc}",
                current=exc.current,
                allowed_next=exc.allowed,
            ) from None
        return _view(updated)

    return api
