"""Intake, on the real broker and database, serving a catalogue with Makassar's and
Jayapura's packages: each region lists its own SLA and fee, and an application is due by
the SLA of the region it was submitted in."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.catalogue import PACKAGES_DIR
from shared.catalogue.packaging import compile_catalogue, load_package
from tests.catalogue.support import EXAMPLES
from tests.e2e.helpers import new_nik, register, submit
from tests.regions import serve_catalogue


@pytest.fixture
def with_examples(monkeypatch):
    """Every service started in this test reads the demo regions plus the two examples."""
    national = load_package(PACKAGES_DIR / "national.json")
    regions = [load_package(p) for p in sorted((PACKAGES_DIR / "regions").glob("*.json"))]
    regions += [load_package(EXAMPLES / "7371.yaml"), load_package(EXAMPLES / "9471.yaml")]
    catalogue = compile_catalogue(national, regions)  # type: ignore[arg-type]
    serve_catalogue(monkeypatch, catalogue)
    return catalogue


async def listed(intake, region: str) -> dict[str, dict]:
    answer = await intake.get("/api/v1/services", params={"region": region})
    assert answer.status_code == 200, answer.text
    return {service["code"]: service for service in answer.json()}


async def test_each_region_lists_its_own_sla_and_fee_and_an_application_is_due_by_it(
    with_examples, service_app
):
    intake = await service_app("intake")
    makassar, jayapura, mojokerto = (
        await listed(intake, "7371"),
        await listed(intake, "9471"),
        await listed(intake, "3576"),
    )
    assert len(makassar) + len(jayapura) >= 140
    assert makassar["ktp-el"]["sla_working_days"] == 1
    assert jayapura["ktp-el"]["sla_working_days"] == 7
    assert mojokerto["ktp-el"]["sla_working_days"] == 14
    assert makassar["7371-sambungan-air"]["fee_idr"] == 1650000
    assert "7371-sambungan-air" not in jayapura  # a local service stays in its region
    detail = (await intake.get("/api/v1/services/ktp-el")).json()
    assert detail["sla_working_days"] == 14  # the national maximum, no region asked
    assert detail["terms"]["7371"]["counters"] == [
        "Loket 1 Disdukcapil",
        "Loket 2 Disdukcapil",
        "Loket 3 Disdukcapil",
    ]
    assert detail["terms"]["9471"]["sla_working_days"] == 7
    assert detail["agencies"]["7371"]["code"] == "disdukcapil-7371"

    now = datetime.now(UTC)
    in_makassar = await submit(intake, await register(intake, nik=new_nik("7371")), region="7371")
    in_mojokerto = await submit(intake, await register(intake, nik=new_nik("3576")))
    makassar_due = datetime.fromisoformat(in_makassar["sla_due_at"])
    mojokerto_due = datetime.fromisoformat(in_mojokerto["sla_due_at"])
    assert makassar_due - now < timedelta(days=6)  # one working day, past a weekend at most
    assert mojokerto_due - now > timedelta(days=17)  # fourteen working days
