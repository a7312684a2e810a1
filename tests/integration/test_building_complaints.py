"""Complaints about an MPP building, on the real broker and database with intake and
routing in one process and the SP4N-LAPOR! simulator over real HTTP: a citizen files one
about Kota Mojokerto's MPP (no agency answers for a building), it follows the complaint
flow — stored with its 3/5 working-day due times, forwarded to LAPOR! — and Mojokerto's
region administrator reads and answers it while another region's administrator, an
agency officer of the same region and a citizen cannot."""

import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from ops.simulators import lapor
from shared.auth import issue_token
from shared.settings import Settings
from tests.e2e.helpers import eventually, register
from tests.integration.routing_support import http_server

TOKEN = "test-lapor-token"
WORDS = "Toilet di lantai dua rusak dan antrean tidak dipanggil berurutan"


@pytest.fixture
async def lapor_url() -> AsyncIterator[str]:
    async with http_server(lapor.create_app(TOKEN)) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, lapor_url: str) -> Settings:
    return settings.model_copy(
        update={
            "lapor_url": lapor_url,
            "lapor_token": SecretStr(TOKEN),
            "lapor_timeout_seconds": 0.5,
            "lapor_sync_seconds": 3600.0,
            "complaint_sweep_seconds": 3600.0,
        }
    )


def staff(settings: Settings, who: str, role: str, **claims: str) -> dict[str, str]:
    token, _ = issue_token(settings, who, (role,), **claims)
    return {"authorization": f"Bearer {token}"}


async def test_the_region_administrator_answers_a_complaint_about_the_building_and_no_one_else(
    service_app, settings
):
    intake, routing = await service_app("intake"), await service_app("routing")
    citizen = await register(intake)
    filed = await intake.post(
        "/api/v1/complaints",
        json={"kind": "pengaduan", "text": WORDS, "service": "mpp", "region": "3576"},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert filed.status_code == 202, filed.text
    complaint_id = filed.json()["id"]
    nowhere = await intake.post(
        "/api/v1/complaints",
        json={"kind": "pengaduan", "text": WORDS, "service": "mpp", "region": "9999"},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"][0]["field"] == "region"

    complaints = routing.app.state.runtime.db["complaints"]
    stored = await eventually(lambda: complaints.find_one({"_id": complaint_id}), 20, bool)
    assert (stored["about"], stored["agency"], stored["handler_kind"]) == (
        "building",
        "mpp-3576",
        None,
    )
    assert stored["forward_due_at"] < stored["answer_due_at"]

    # SP4N-LAPOR! records it like any complaint.
    assert await routing.app.state.parts.lapor.sync_once() >= 1
    tracked = await complaints.find_one({"_id": complaint_id})
    assert tracked["lapor"]["tracking_id"].startswith("LPR-")

    mojokerto = staff(settings, "admin.mojokerto", "region_admin", region="3576")
    pasuruan = staff(settings, "admin.pasuruan", "region_admin", region="3514")
    officer = staff(settings, "rina.polres", "officer", agency="polres-3576")
    url = f"/api/v1/mpp/complaints/{complaint_id}/answers"

    theirs = await routing.get("/api/v1/mpp/complaints", headers=pasuruan)
    assert theirs.status_code == 200
    assert complaint_id not in [c["id"] for c in theirs.json()]
    refused = await routing.post(url, json={"answer": "bukan wilayah kami"}, headers=pasuruan)
    assert refused.status_code == 404
    listed = await routing.get("/api/v1/agency/complaints", headers=officer)
    assert complaint_id not in [c["id"] for c in listed.json()]
    assert (await routing.post(url, json={"answer": "x"}, headers=officer)).status_code == 403
    assert (await routing.get("/api/v1/mpp/complaints", headers=citizen.headers)).status_code == 403

    mine = await routing.get("/api/v1/mpp/complaints", headers=mojokerto)
    [shown] = [c for c in mine.json() if c["id"] == complaint_id]
    assert shown["about"] == "building"
    assert shown["thread"][0]["text"] == WORDS
    answered = await routing.post(
        url,
        json={"answer": "Toilet diperbaiki hari ini; petugas antrean ditegur."},
        headers=mojokerto,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"

    thread = await routing.get("/api/v1/citizen/complaints", headers=citizen.headers)
    [own] = [c for c in thread.json() if c["id"] == complaint_id]
    assert [s["by"] for s in own["thread"]] == ["citizen", "agency"]
    assert own["close_due_at"] is not None


async def test_the_region_administrator_answers_it_on_the_workbench_and_another_region_s_cannot(
    service_app, settings
):
    intake, routing = await service_app("intake"), await service_app("routing")
    citizen = await register(intake)
    filed = await intake.post(
        "/api/v1/complaints",
        json={"kind": "pengaduan", "text": WORDS, "service": "mpp", "region": "3576"},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    complaint_id = filed.json()["id"]
    complaints = routing.app.state.runtime.db["complaints"]
    await eventually(lambda: complaints.find_one({"_id": complaint_id}), 20, bool)
    answer_url = f"/workbench/complaints/{complaint_id}/answers"

    await administrator(routing, settings, "admin.pasuruan", "3514")
    foreign_page = await routing.get("/workbench/complaints")
    assert foreign_page.status_code == 200
    assert WORDS not in foreign_page.text
    csrf = routing.cookies["mpp_csrf"]
    foreign = await routing.post(answer_url, data={"csrf": csrf, "answer": "bukan kami"})
    assert foreign.status_code == 422
    assert "Pengaduan tidak ditemukan" in foreign.text

    await administrator(routing, settings, "admin.mojokerto", "3576")
    page = await routing.get("/workbench/complaints")
    assert WORDS in page.text
    assert "Tentang gedung MPP" in page.text
    answered = await routing.post(
        answer_url, data={"csrf": routing.cookies["mpp_csrf"], "answer": "Sudah diperbaiki."}
    )
    assert answered.status_code == 303
    stored = await complaints.find_one({"_id": complaint_id})
    assert stored["state"] == "answered"
    assert stored["thread"][-1]["text"] == "Sudah diperbaiki."


async def administrator(routing, settings: Settings, username: str, region: str) -> None:
    """As the workbench's sign-in leaves it: the administrator's own token in its cookie."""
    token, _ = issue_token(settings, username, ("region_admin",), region=region, name=username)
    routing.cookies.set("mpp_workbench", token)
    await routing.get("/workbench/")  # the CSRF cookie
