"""A catalogue with regions outside Java, for tests of the zones and days off: the demo
catalogue plus Kota Makassar (7371, WITA, with its own day off) and Kota Jayapura (9471,
WIT), each with a population office in the workbench offering KTP-el."""

from datetime import date
from typing import Any

import pytest

from shared.catalogue import Agency, Catalogue, Region, RegionDay, Text, load_catalogue
from shared.catalogue.live import LiveCatalogue

MAKASSAR_DAY = RegionDay(
    date=date(2026, 11, 9), name=Text(id="Hari Jadi Kota Makassar", en="Makassar City Day")
)
"""Makassar's own day off in these tests: Monday 9 November 2026."""


def _office(region: str, city: str) -> Agency:
    return Agency.model_validate(
        {
            "code": f"disdukcapil-{region}",
            "name": {"id": f"Disdukcapil {city}", "en": f"Civil Registry Office, {city}"},
            "region": region,
            "handler": {"kind": "workbench"},
            "supervisor_email": f"kepala.disdukcapil.{region}@example.go.id",
        }
    )


def eastern_catalogue(*makassar_days: RegionDay) -> Catalogue:
    """The demo catalogue with Makassar (its days off: ``makassar_days``, by default
    :data:`MAKASSAR_DAY`) and Jayapura."""
    demo = load_catalogue()
    regions = [
        Region(
            code="7371",
            name="Kota Makassar",
            mpp="MPP Makassar",
            holidays=makassar_days or (MAKASSAR_DAY,),
        ),
        Region(code="9471", name="Kota Jayapura", mpp="MPP Jayapura"),
    ]
    services = [
        service.model_copy(
            update={
                "agencies": service.agencies
                | {"7371": "disdukcapil-7371", "9471": "disdukcapil-9471"}
            }
        )
        if service.code == "ktp-el"
        else service
        for service in demo.services
    ]
    return Catalogue(
        version=demo.version,
        regions=[*demo.regions, *regions],
        agencies=[*demo.agencies, _office("7371", "Makassar"), _office("9471", "Jayapura")],
        services=services,
        systems=demo.systems,
    )


def serve_catalogue(monkeypatch: pytest.MonkeyPatch, catalogue: Catalogue) -> None:
    """Every service this test starts serves ``catalogue`` from its start (packages
    published later apply over the built-in ones, as always)."""

    def starting_with(built_in: Any, initial: Any = None) -> LiveCatalogue:
        return LiveCatalogue(built_in, initial or catalogue)

    monkeypatch.setattr("shared.runtime.LiveCatalogue", starting_with)
