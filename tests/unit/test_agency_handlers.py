"""The agency API's handlers, without HTTP, a broker or a database: fake repositories,
a fake workflow and a unit of work that collects what it would publish."""

from dataclasses import fields
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.routing.agency_handlers import (
    ListApplications,
    MoveApplication,
    ReadApplication,
    RevokeResult,
    UploadResult,
    list_applications,
    move_application,
    read_application,
    revoke_result,
    upload_result,
)
from services.routing.agency_models import Caller, TransitionRequest
from services.routing.results import UnknownResult
from services.routing.workflow import IllegalTransition, StatusChange, UnknownApplication
from shared.catalogue import load_catalogue
from shared.events import DataAccessed, DocumentRevoked, utcnow
from shared.problems import Problem

OFFICER = Caller(agency="polri", staff="budi")
SYSTEM = Caller(agency="polri", key_id="k1")
SHA = "a" * 64


def application(id_: str = "app-1", **fields: Any) -> dict[str, Any]:
    return {
        "_id": id_,
        "tracking_number": f"MPP-{id_}",
        "service": "skck",
        "region": "31",
        "agency": "polri",
        "status": "received",
        "sequence": 3,
        "correlation_id": f"corr-{id_}",
        "sla_due_at": utcnow() + timedelta(days=5),
        **fields,
    }


class FakeApplications:
    def __init__(self, *rows: dict[str, Any]) -> None:
        self.rows = {row["_id"]: row for row in rows}
        self.bindings: dict[str, dict] = {}
        self.bound: list[tuple[dict, Any]] = []
        self.revoked: list[tuple[dict, str]] = []

    async def page(self, agency: str, status: str | None, skip: int, limit: int) -> list[dict]:
        mine = [
            r for r in self.rows.values() if r["agency"] == agency and status in (None, r["status"])
        ]
        return sorted(mine, key=lambda r: (r["sla_due_at"], r["_id"]))[skip : skip + limit]

    async def one(self, agency: str, application_id: str, fields: Any = None) -> dict | None:
        row = self.rows.get(application_id)
        return row if row is not None and row["agency"] == agency else None

    async def binding(self, binding_id: str) -> dict | None:
        return self.bindings.get(binding_id)

    async def bind(self, binding: dict, session: Any) -> None:
        self.bound.append((binding, session))

    async def mark_revoked(self, revoked: dict, reason: str, session: Any) -> dict | None:
        self.revoked.append((revoked, reason))
        return self.rows.get(revoked["application_id"])


class FakeUnitOfWork:
    """Runs the work once, with a transaction that only collects the events raised."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any]] = []
        self.session = object()
        self.catalogue = load_catalogue()

    async def run(self, work: Any) -> Any:
        tx = SimpleNamespace(session=self.session, raised=[])
        tx.emit = lambda topic, event: tx.raised.append((topic, event))
        result = await work(tx)
        self.emitted += tx.raised
        return result


class FakeWorkflow:
    """Applies the change as asked (or raises ``fails``), running the ``within`` hook in a
    transaction whose session is ``"session"``."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.fails = fails
        self.calls: list[dict[str, Any]] = []
        self.staged: list[tuple[str, Any]] = []

    async def __call__(self, uow: Any, change: StatusChange) -> dict:
        self.calls.append({f.name: getattr(change, f.name) for f in fields(change)})
        if self.fails is not None:
            raise self.fails
        current = application(change.application_id)
        tx = SimpleNamespace(session="session", emit=lambda t, e: self.staged.append((t, e)))
        assert change.within is not None
        await change.within(current, tx)  # type: ignore[arg-type]
        return {**current, "status": change.to, "sequence": current["sequence"] + 1}


class FakeResults:
    def __init__(self, drafts: list[dict] | None = None, revoked: dict | None = None) -> None:
        self._drafts = drafts
        self._revoked = revoked
        self.uploads: list[tuple[str, str, str | None, Any]] = []

    async def drafts(self, agency: str, application_id: str, sha256s: list[str]) -> list[dict]:
        if self._drafts is None:
            raise UnknownResult(f"no draft {sha256s[0]}")
        return self._drafts

    async def upload(
        self, agency: str, application_id: str, citizen_id: str | None, upload: Any
    ) -> dict:
        self.uploads.append((agency, application_id, citizen_id, upload))
        return result_row(state="draft")

    async def revoke(self, agency: str, code: str, reason: str, by: str, session: Any) -> dict:
        return self._revoked


def result_row(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "RES-1",
        "sha256": SHA,
        "name": "skck.pdf",
        "content_type": "application/pdf",
        "size": 10,
        "state": "issued",
        "application_id": "app-1",
        "agency": "polri",
        "revoked_at": utcnow(),
        **fields,
    }


def move(to: str = "in_review", key: str | None = None, **body: Any) -> MoveApplication:
    return MoveApplication(OFFICER, "app-1", TransitionRequest(to=to, **body), key)


async def test_a_queue_page_leads_with_the_overdue_and_says_whether_more_follow():
    late = application("late", sla_due_at=utcnow() - timedelta(days=1))
    decided = application("decided", status="completed", sla_due_at=utcnow() - timedelta(days=2))
    applications = FakeApplications(late, decided, application("a"), application("b"))

    page = await list_applications(
        ListApplications(SYSTEM, None, 1, 2), applications, catalogue=load_catalogue()
    )

    assert [v["id"] for v in page["items"]] == ["late", "decided"]
    assert page["items"][0]["overdue"]
    assert not page["items"][1]["overdue"]
    assert page["next_page"] == 2
    last = await list_applications(
        ListApplications(SYSTEM, None, 2, 2), applications, catalogue=load_catalogue()
    )
    assert last["next_page"] is None


async def test_reading_an_application_records_the_reader_before_answering():
    row = application(applicant={"name": "Siti", "nik": "317"}, form={"reason": "kerja"})
    catalogue = SimpleNamespace(
        service=lambda code: SimpleNamespace(applicant_fields=["name"]),
        calendar_for=load_catalogue().calendar_for,
    )
    personal = SimpleNamespace(open=_same, open_all=_same)
    uow = FakeUnitOfWork()

    detail = await read_application(
        ReadApplication(OFFICER, "app-1"),
        uow,
        applications=FakeApplications(row),
        access_topic="mpp.access",
        catalogue=catalogue,
        personal=personal,
    )

    assert detail["applicant"] == {"name": "Siti"}
    assert detail["applicant_erased"] is False
    assert detail["form"] == {"reason": "kerja"}
    [(topic, accessed)] = uow.emitted
    assert topic == "mpp.access"
    assert isinstance(accessed, DataAccessed)
    assert accessed.data.actor_id == "polri/budi"
    assert accessed.correlation_id == "corr-app-1"


async def test_another_agencys_application_is_not_found_and_nothing_is_recorded():
    uow = FakeUnitOfWork()
    with pytest.raises(Problem) as refused:
        await read_application(
            ReadApplication(Caller(agency="bpn", key_id="k9"), "app-1"),
            uow,
            applications=FakeApplications(application()),
            access_topic="mpp.access",
            catalogue=SimpleNamespace(),
            personal=SimpleNamespace(),
        )
    assert refused.value.status == 404
    assert uow.emitted == []


async def test_a_transition_names_the_officer_and_binds_its_idempotency_key_with_it():
    applications, workflow = FakeApplications(application()), FakeWorkflow()

    view = await move_application(
        move("in_review", key="k-1", note="diperiksa"),
        FakeUnitOfWork(),
        applications=applications,
        results=None,
        workflow=workflow,
        access_topic="mpp.access",
    )

    assert view["status"] == "in_review"
    assert view["sequence"] == 4
    [call] = workflow.calls
    assert call["cause"].id == "agency-api:polri:k-1"
    assert call["actor"] == "agency"
    assert call["agency"] == "polri"
    assert call["note"] == "diperiksa"
    [(binding, session)] = applications.bound
    assert binding["_id"] == "polri:k-1"
    assert session == "session"
    [(topic, moved)] = workflow.staged
    assert topic == "mpp.access"
    assert moved.data.actor_id == "polri/budi"
    assert moved.causation_id == call["cause"].id


async def test_the_same_key_for_another_body_is_refused_before_anything_changes():
    applications, workflow = FakeApplications(application()), FakeWorkflow()
    await move_application(
        move("in_review", key="k-1"),
        FakeUnitOfWork(),
        applications=applications,
        results=None,
        workflow=workflow,
        access_topic="mpp.access",
    )
    [(binding, _)] = applications.bound
    applications.bindings[binding["_id"]] = binding

    with pytest.raises(Problem) as refused:
        await move_application(
            move("in_review", key="k-1", note="lain"),
            FakeUnitOfWork(),
            applications=applications,
            results=None,
            workflow=workflow,
            access_topic="mpp.access",
        )
    assert refused.value.status == 422
    assert "Idempotency-Key" in refused.value.title
    assert len(workflow.calls) == 1


async def test_needs_info_without_the_missing_fields_is_refused():
    with pytest.raises(Problem) as refused:
        await move_application(
            move("needs_info"),
            FakeUnitOfWork(),
            applications=FakeApplications(application()),
            results=None,
            workflow=FakeWorkflow(),
            access_topic="mpp.access",
        )
    assert refused.value.status == 422
    assert "requested_fields" in refused.value.detail


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (IllegalTransition("received", "completed", "agency", ["in_review"]), 409),
        (UnknownApplication("gone"), 404),
        (DuplicateKeyError("raced"), 422),
        (ValueError("result documents are issued with approved or completed"), 422),
    ],
)
async def test_a_refused_transition_answers_with_its_problem(fault: Exception, status: int):
    with pytest.raises(Problem) as refused:
        await move_application(
            move("completed"),
            FakeUnitOfWork(),
            applications=FakeApplications(application()),
            results=None,
            workflow=FakeWorkflow(fails=fault),
            access_topic="mpp.access",
        )
    assert refused.value.status == status
    if status == 409:
        assert refused.value.extensions == {"current": "received", "allowed_next": ["in_review"]}


async def test_a_result_not_uploaded_first_is_refused_and_one_uploaded_is_issued_with_the_change():
    with pytest.raises(Problem) as refused:
        await move_application(
            move("approved", results=[SHA]),
            FakeUnitOfWork(),
            applications=FakeApplications(application()),
            results=FakeResults(drafts=None),
            workflow=FakeWorkflow(),
            access_topic="mpp.access",
        )
    assert refused.value.status == 422
    assert refused.value.extensions["errors"] == [{"field": "results", "message": "not uploaded"}]

    workflow = FakeWorkflow()
    await move_application(
        move("approved", results=[SHA]),
        FakeUnitOfWork(),
        applications=FakeApplications(application()),
        results=FakeResults(drafts=[{"sha256": SHA}]),
        workflow=workflow,
        access_topic="mpp.access",
    )
    assert workflow.calls[0]["results"] == [{"sha256": SHA}]


async def test_results_are_unavailable_where_they_are_not_kept():
    with pytest.raises(Problem) as refused:
        await upload_result(
            UploadResult(OFFICER, "app-1", file=None),
            applications=FakeApplications(application()),
            results=None,
        )
    assert refused.value.status == 503


async def test_an_upload_goes_only_to_the_agencys_own_application():
    results = FakeResults()
    uploaded = await upload_result(
        UploadResult(OFFICER, "app-1", file="pdf"),
        applications=FakeApplications(application(citizen_id="citizen-9")),
        results=results,
    )
    assert results.uploads[0][2] == "citizen-9"  # sealed under the citizen's key
    assert uploaded == {
        "code": "RES-1",
        "sha256": SHA,
        "name": "skck.pdf",
        "content_type": "application/pdf",
        "size": 10,
        "state": "draft",
    }
    with pytest.raises(Problem) as refused:
        await upload_result(
            UploadResult(OFFICER, "elsewhere", file="pdf"),
            applications=FakeApplications(application()),
            results=results,
        )
    assert refused.value.status == 404
    assert len(results.uploads) == 1


async def test_a_revocation_marks_the_application_and_announces_it_in_one_unit_of_work():
    applications, uow = FakeApplications(application()), FakeUnitOfWork()
    row = result_row(state="revoked")

    answer = await revoke_result(
        RevokeResult(OFFICER, "RES-1", "salah cetak"),
        uow,
        applications=applications,
        results=FakeResults(revoked=row),
        documents_topic="mpp.documents",
    )

    assert answer["state"] == "revoked"
    assert applications.revoked == [(row, "salah cetak")]
    [(topic, revoked)] = uow.emitted
    assert topic == "mpp.documents"
    assert isinstance(revoked, DocumentRevoked)
    assert revoked.data.revoked_by == "polri/budi"
    assert revoked.region == "31"
    assert revoked.correlation_id == "corr-app-1"


async def test_revoking_what_is_not_an_issued_document_of_the_agency_is_not_found():
    uow = FakeUnitOfWork()
    with pytest.raises(Problem) as refused:
        await revoke_result(
            RevokeResult(OFFICER, "RES-9", "salah cetak"),
            uow,
            applications=FakeApplications(),
            results=FakeResults(revoked=None),
            documents_topic="mpp.documents",
        )
    assert refused.value.status == 404
    assert uow.emitted == []


async def _same(value: Any, owner: str | None) -> Any:
    return value
