"""Publishing the catalogue live, against the real broker and database: a region's package
published through routing's admin API is served by intake within seconds, with no
restart; an application keeps the version it was submitted under; only the region's own
administrator publishes its package, and a bad package changes nothing."""

import asyncio
import copy
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.audit.app import build as build_audit
from services.routing.app import build as build_routing
from shared.auth import issue_token
from shared.catalogue.live import built_in_documents
from shared.settings import Settings
from tests.e2e.helpers import eventually, new_nik, read_topic, register, submit
from tests.front_door import start_intake
from tests.integration.routing_support import run_cli

MAKASSAR, JAYAPURA = "7371", "9471"


def makassar(version: int = 1, code: str = "7374", **sla: int) -> dict[str, Any]:
    """A package for a Sulawesi Selatan region (Kota Palopo by default) made from a
    built-in region's: its offices and local services renamed, its zone WITA; ``sla``
    sets a service's working days."""
    text = json.dumps(built_in_documents()["3576"]).replace("3576", code)
    package = json.loads(text)
    package["version"] = version
    package["region"].update(name=f"Kota {code}", mpp=f"MPP Kota {code}", zone="WITA")
    for office in package["offices"]:  # an office joins Kafka through a system
        if office["handler"]["kind"] == "kafka":
            office["handler"] = {"kind": "workbench"}
    for adoption in package["adopts"]:
        adoption["sla_working_days"] = sla.get(adoption["service"], adoption["sla_working_days"])
    return package


def bearer(settings: Any, username: str, role: str, region: str | None = None) -> dict:
    token, _ = issue_token(settings, username, (role,), region=region)
    return {"Authorization": f"Bearer {token}"}


async def publish(
    routing: httpx.AsyncClient, package: dict, headers: dict, **params: Any
) -> httpx.Response:
    body = {"package": package, "reason": "Makassar joins MPP Digital"}
    return await routing.post(
        "/api/v1/catalogue/packages", json=body, headers=headers, params=params
    )


@pytest.fixture(scope="module")
async def platform_settings(stack: Any) -> Settings:
    return Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        retry_backoff_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def running(platform_settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    """Intake (identity beside it), routing and audit on one namespace, for the module:
    each test publishes for a region of its own."""
    async with AsyncExitStack() as stack:
        intake = await start_intake(stack, platform_settings)
        app = build_routing(platform_settings)
        await stack.enter_async_context(app.router.lifespan_context(app))
        routing = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        await stack.enter_async_context(routing)
        audit = build_audit(platform_settings)
        await stack.enter_async_context(audit.router.lifespan_context(audit))
        yield intake, routing


async def test_makassar_and_jayapura_go_live_with_mpp_catalogue_publish_and_count_in_their_zone(
    running: Any, platform_settings: Settings, stack: Any
) -> None:
    intake, routing = running
    for code in (MAKASSAR, JAYAPURA):
        before = await intake.get("/api/v1/services", params={"region": code})
        assert before.status_code == 404, before.text
    offered: set[str] = set()
    for code in (MAKASSAR, JAYAPURA):
        exit_code, output = await run_cli(
            stack,
            platform_settings.namespace,
            *("catalogue", "publish", f"examples/regions/{code}.yaml"),
            *("--reason", "bergabung dengan MPP Digital", "--operator", "ops.pusat"),
        )
        assert exit_code == 0, output

        async def listed(code: str = code) -> list:
            found = await intake.get("/api/v1/services", params={"region": code})
            return found.json() if found.status_code == 200 else []

        services = await eventually(listed, timeout=30)  # bench/catalogue.py times it
        offered |= {service["code"] for service in services}
    assert len(offered) >= 100

    citizen = await register(intake, nik=new_nik(MAKASSAR))
    accepted = await submit(intake, citizen, region=MAKASSAR)
    submitted_at = datetime.now(UTC)
    calendar = intake.app.state.runtime.catalogue.calendar_for(MAKASSAR)
    ktp = next(s for s in await listed(MAKASSAR) if s["code"] == "ktp-el")
    due = calendar.add_working_days(submitted_at, ktp["sla_working_days"])
    assert accepted["sla_due_at"] == due.isoformat().replace("+00:00", "Z")
    assert accepted["sla_due_at"].endswith("T15:59:59Z")  # 23:59:59 WITA
    admin = bearer(platform_settings, "admin.makassar", "region_admin", MAKASSAR)
    versions = await routing.get(f"/api/v1/catalogue/packages/{MAKASSAR}/versions", headers=admin)
    [kept] = versions.json()
    assert kept["published_by"] == "operator:ops.pusat"
    assert kept["reason"] == "bergabung dengan MPP Digital"
    audit_db = intake.app.state.runtime.mongo[platform_settings.database_name("audit")]

    async def audited() -> dict | None:
        return await audit_db["records"].find_one(
            {"type": "catalogue.published", "subject": MAKASSAR}
        )

    record = json.loads((await eventually(audited, timeout=10))["event"])["data"]
    assert (record["published_by"], record["reason"]) == (kept["published_by"], kept["reason"])
    assert record["changes"] == ["new package"]
    assert record["package"]["region"]["zone"] == "WITA"


async def test_an_application_keeps_the_sla_and_office_of_the_version_it_was_submitted_under(
    running: Any, platform_settings: Settings
) -> None:
    intake, routing = running
    parepare = "7372"
    admin = bearer(platform_settings, "admin.parepare", "region_admin", parepare)
    assert (await publish(routing, makassar(1, parepare), admin)).status_code == 201
    citizen = await register(intake, nik=new_nik(parepare))

    async def apply() -> dict:
        body = {"service": "ktp-el", "region": parepare, "data": {"reason": "baru"}}
        headers = {**citizen.headers, "Idempotency-Key": f"k-{time.monotonic_ns()}"}
        answer = await intake.post(
            "/api/v1/applications", json={**body, "channel": "mobile"}, headers=headers
        )
        return answer.json() if answer.status_code == 202 else {}

    first = await eventually(apply, timeout=10)
    answer = await publish(routing, makassar(2, parepare, **{"ktp-el": 3}), admin)
    assert answer.status_code == 201, answer.text
    assert any("ktp-el" in line and "sla" in line for line in answer.json()["changes"])

    async def shorter() -> dict:
        second = await apply()
        return second if second and second["sla_due_at"] < first["sla_due_at"] else {}

    second = await eventually(shorter, timeout=10)
    view = await intake.get(f"/api/v1/applications/{first['id']}", headers=citizen.headers)
    assert view.json()["sla_due_at"] == first["sla_due_at"]  # pinned: 14 days, not 3
    topic = f"{platform_settings.namespace}.applications.submitted"
    events = await read_topic(platform_settings.kafka_bootstrap, topic, 2)
    pinned = {e.data.application_id: e.data for e in events if e.data.region == parepare}
    assert pinned[second["id"]].catalogue_version > pinned[first["id"]].catalogue_version
    assert {data.office for data in pinned.values()} == {f"disdukcapil-{parepare}"}


async def test_only_the_regions_own_administrator_publishes_its_package(
    running: Any, platform_settings: Settings
) -> None:
    _, routing = running
    jayapura = makassar(code="9471")
    national = copy.deepcopy(built_in_documents()["national"])
    national["version"] += 1
    makassar_admin = bearer(platform_settings, "admin.makassar", "region_admin", MAKASSAR)
    refused = {
        "another region's package": (jayapura, makassar_admin),
        "the national package": (national, makassar_admin),
        "an officer's token": (makassar(), bearer(platform_settings, "officer.x", "officer")),
        "a citizen's token": (makassar(), bearer(platform_settings, "acct-1", "citizen")),
    }
    for case, (package, headers) in refused.items():
        answer = await publish(routing, package, headers)
        assert answer.status_code == 403, (case, answer.text)
    assert (await publish(routing, makassar(), {})).status_code == 401
    national_admin = bearer(platform_settings, "admin.pusat", "national_admin")
    assert (await publish(routing, makassar(code="9471"), national_admin)).status_code == 403
    assert (await publish(routing, national, national_admin)).status_code == 201


async def test_a_bad_package_changes_nothing_and_says_what_is_wrong_by_path(
    running: Any, platform_settings: Settings
) -> None:
    intake, routing = running
    palopo = "7373"
    admin = bearer(platform_settings, "admin.palopo", "region_admin", palopo)
    bad = makassar(code=palopo, **{"ktp-el": 99})
    bad["region"]["zone"] = "WITC"
    answer = await publish(routing, bad, admin)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    paths = {problem["path"] for problem in answer.json()["errors"]}
    assert "region.zone" in paths, answer.json()
    bad["region"]["zone"] = "WITA"
    answer = await publish(routing, bad, admin)
    assert answer.status_code == 422, answer.text
    assert any("sla_working_days" in p["path"] for p in answer.json()["errors"]), answer.json()
    dry = await publish(routing, makassar(code=palopo), admin, dry_run="true")
    assert dry.status_code == 201, dry.text
    assert dry.json()["dry_run"] is True
    await asyncio.sleep(1.5)  # longer than a publish takes to arrive
    assert (await intake.get("/api/v1/services", params={"region": palopo})).status_code == 404
    versions = await routing.get(f"/api/v1/catalogue/packages/{palopo}/versions", headers=admin)
    assert versions.json() == []
    assert (await publish(routing, makassar(code=palopo), admin)).status_code == 201
    again = await publish(routing, makassar(code=palopo), admin)
    assert again.status_code == 409, again.text
