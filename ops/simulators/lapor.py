"""A local stand-in for SP4N-LAPOR!'s complaint API, with the wire format routing's
adapter speaks (:mod:`services.routing.complaints.lapor`).

``POST /api/v1/laporan`` (bearer token, when one is set) records a complaint under a new tracking id
(``LPR-000001`` …) in status ``diterima`` and answers 201; the same ``external_id`` again
answers the tracking id it already has (200), so a forward repeated after a lost answer
records nothing twice. ``GET /api/v1/laporan/{tracking_id}`` answers its status.

Endpoints only the simulator has, for tests and demos:

* ``POST /v1/laporan/{tracking_id}/status`` sets a status, as LAPOR!'s staff would
  (``diproses``, ``selesai`` …);
* ``POST /v1/faults`` makes the next ``fail_next`` LAPOR! API calls fail: ``down``
  (503 at once), ``error`` (500), or ``slow`` (answer after ``delay_seconds``, beyond the
  caller's timeout a timeout); ``fail_next: 0`` clears;
* ``GET /v1/stats`` counts the calls and the complaints recorded; ``GET /v1/laporan``
  lists them.

State lives in memory: a restart forgets everything.
"""

import asyncio
from typing import Literal

from fastapi import Depends, FastAPI, Response
from pydantic import BaseModel, Field

from ops.simulators.bearer import bearer_required
from shared.problems import Problem, install_problem_handlers

__all__ = ["create_app"]


class Report(BaseModel):
    external_id: str = Field(min_length=1, max_length=100)
    kind: Literal["konsultasi", "pengaduan"]
    text: str = Field(min_length=1, max_length=4000)
    service: str
    region: str
    agency: str
    confidential: bool = False
    reference: str | None = None


class StatusChange(BaseModel):
    status: str = Field(min_length=1, max_length=40)


class FaultPlan(BaseModel):
    fail_next: int = Field(ge=0, le=10_000)
    mode: Literal["down", "error", "slow"] = "down"
    delay_seconds: float = Field(0.0, ge=0, le=60)


class _Desk:
    """What the simulator holds: reports by tracking id, and the faults planned."""

    def __init__(self) -> None:
        self.reports: dict[str, dict] = {}
        self.by_external: dict[str, str] = {}
        self.plan = FaultPlan(fail_next=0)
        self.stats = {"calls": 0, "recorded": 0}

    async def fault(self) -> None:
        """Count the call, and play the next planned fault."""
        self.stats["calls"] += 1
        plan = self.plan
        if plan.fail_next == 0:
            return
        self.plan = plan.model_copy(update={"fail_next": plan.fail_next - 1})
        if plan.mode == "slow":
            await asyncio.sleep(plan.delay_seconds)
            return
        status = 503 if plan.mode == "down" else 500
        raise Problem(status, "Simulated fault", "Injected by POST /v1/faults (simulator).")

    def record(self, report: Report) -> tuple[dict, bool]:
        known = self.by_external.get(report.external_id)
        if known is not None:
            return self.reports[known], False
        self.stats["recorded"] += 1
        tracking = f"LPR-{self.stats['recorded']:06d}"
        stored = {"tracking_id": tracking, "status": "diterima", **report.model_dump()}
        self.reports[tracking] = stored
        self.by_external[report.external_id] = tracking
        return self.reports[tracking], True

    def found(self, tracking_id: str) -> dict:
        report = self.reports.get(tracking_id)
        if report is None:
            raise Problem(404, "Laporan tidak ditemukan / No such report", tracking_id)
        return report


def create_app(token: str | None) -> FastAPI:
    """The simulator; with ``token`` its API asks for it as a bearer token, without one
    (``MPP_LAPOR_TOKEN`` unset on the local stack) it asks for none."""
    desk = _Desk()
    app = FastAPI(title="SP4N-LAPOR! (local simulator)")
    install_problem_handlers(app)
    guarded = [Depends(bearer_required(token))] if token else []

    @app.post("/api/v1/laporan", dependencies=guarded)
    async def create(report: Report, response: Response) -> dict:
        await desk.fault()
        stored, new = desk.record(report)
        response.status_code = 201 if new else 200
        return {"tracking_id": stored["tracking_id"], "status": stored["status"]}

    @app.get("/api/v1/laporan/{tracking_id}", dependencies=guarded)
    async def read(tracking_id: str) -> dict:
        await desk.fault()
        stored = desk.found(tracking_id)
        return {"tracking_id": tracking_id, "status": stored["status"]}

    @app.post("/v1/laporan/{tracking_id}/status", status_code=204, dependencies=guarded)
    async def set_status(tracking_id: str, change: StatusChange) -> Response:
        desk.found(tracking_id)["status"] = change.status
        return Response(status_code=204)

    @app.get("/v1/laporan", dependencies=guarded)
    async def listed() -> list[dict]:
        return list(desk.reports.values())

    @app.post("/v1/faults", status_code=204, dependencies=guarded)
    async def set_faults(plan: FaultPlan) -> Response:
        desk.plan = plan
        return Response(status_code=204)

    @app.get("/v1/stats")
    async def read_stats() -> dict[str, int]:
        return dict(desk.stats)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
