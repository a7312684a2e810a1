"""Routing counts a missing due date with the SLA of the application's region."""

from datetime import UTC, datetime
from types import SimpleNamespace

from services.routing.dispatch import _due_date
from shared.calendar import add_working_days
from shared.catalogue import PACKAGES_DIR
from shared.catalogue.packaging import compile_catalogue, load_package
from tests.catalogue.support import EXAMPLES

SUBMITTED_AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def due(service: str, region: str):
    national = load_package(PACKAGES_DIR / "national.json")
    regions = [load_package(PACKAGES_DIR / "regions" / "3576.json")]
    regions.append(load_package(EXAMPLES / "7371.yaml"))
    uow = SimpleNamespace(catalogue=compile_catalogue(national, regions))  # type: ignore[arg-type]
    submitted = SimpleNamespace(
        sla_due_at=None,
        service=service,
        region=region,
        captured_at=None,
        submitted_at=SUBMITTED_AT,
    )
    return _due_date(submitted, uow)  # type: ignore[arg-type]


def test_a_missing_due_date_is_counted_with_the_regions_own_sla():
    # Makassar's one working day, ending at 23:59:59 WITA
    assert due("ktp-el", "7371") == datetime(2026, 12, 8, 15, 59, 59, tzinfo=UTC)
    assert due("ktp-el", "3576") == add_working_days(SUBMITTED_AT, 14)


def test_a_service_the_region_does_not_offer_is_due_by_its_default_and_an_unknown_one_never():
    assert due("7371-izin-reklame", "3576") == add_working_days(SUBMITTED_AT, 5)
    assert due("paspor-baru", "3576") == add_working_days(SUBMITTED_AT, 4)
    assert due("no-such-service", "3576") is None
