"""The demo catalogue, now compiled from packages, is the one the data files gave; a
region's own SLA and fee are what the catalogue answers for that region."""

import json
from pathlib import Path

from shared.catalogue import Catalogue, load_catalogue
from shared.catalogue.packaging import compile_catalogue, package_from
from tests.catalogue.support import adoption, national_document, region_document

BEFORE = Path(__file__).with_name("before_packages")


def catalogue_before_packages() -> Catalogue:
    """The catalogue as ``shared/catalogue/data/{regions,agencies,services}.json`` made it."""

    def read(name: str) -> dict:
        return json.loads((BEFORE / name).read_text(encoding="utf-8"))

    return Catalogue(
        version=read("services.json")["version"],
        regions=read("regions.json")["regions"],
        agencies=read("agencies.json")["agencies"],
        services=read("services.json")["services"],
    )


def test_the_packages_compile_to_the_catalogue_the_old_data_files_gave():
    old, new = catalogue_before_packages(), load_catalogue()
    assert new.version == old.version
    assert new.services == old.services
    assert new.agencies == old.agencies
    assert old.systems == []  # the national systems came with the packages
    assert [s.code for s in new.systems] == [
        "siak",
        "bpjs-kesehatan-jkn",
        "bpjs-ketenagakerjaan-smile",
    ]
    # Each region now states its zone; all four are in Java (WIB), as the province implied.
    assert [r.model_copy(update={"zone": "WIB"}) for r in old.regions] == new.regions
    for region in old.regions:
        assert [s.code for s in new.services_in(region.code)] == [
            s.code for s in old.services_in(region.code)
        ]
        for service in old.services:
            assert new.terms(service.code, region.code) == old.terms(service.code, region.code)
            assert new.agency_for(service.code, region.code) == old.agency_for(
                service.code, region.code
            )


def test_a_regions_own_sla_and_fee_are_its_terms_and_the_national_default_stays():
    mojokerto = region_document("3576")
    entry = adoption(mojokerto, "skck")[1]
    entry.update(sla_working_days=2, fee_idr=25000, counters=["Loket 7"])
    catalogue = compile_catalogue(
        package_from(national_document(), "national"),  # type: ignore[arg-type]
        [package_from(region_document("3514"), "3514"), package_from(mojokerto, "3576")],  # type: ignore[list-item]
    )
    terms = catalogue.terms("skck", "3576")
    assert (terms.agency, terms.sla_working_days, terms.fee_idr, terms.counters) == (
        "polres-3576",
        2,
        25000,
        ("Loket 7",),
    )
    assert catalogue.terms("skck", "3514").sla_working_days == 3
    assert catalogue.service("skck").sla_working_days == 3
    assert catalogue.service("skck").fee_idr == 30000


def test_an_adoption_without_sla_or_fee_takes_the_national_maximum_and_fee():
    mojokerto = region_document("3576")
    entry = adoption(mojokerto, "perpanjangan-sim")[1]
    del entry["sla_working_days"], entry["fee_idr"]
    catalogue = compile_catalogue(
        package_from(national_document(), "national"),  # type: ignore[arg-type]
        [package_from(mojokerto, "3576")],  # type: ignore[list-item]
    )
    terms = catalogue.terms("perpanjangan-sim", "3576")
    assert (terms.sla_working_days, terms.fee_idr) == (1, 80000)


def test_a_national_office_serves_every_region_and_a_region_does_not_offer_what_it_did_not_adopt():
    catalogue = load_catalogue()
    for region in ("3514", "3671"):
        terms = catalogue.terms("bpjs-kesehatan-pendaftaran", region)
        assert terms.agency == "bpjs-kesehatan"
    assert catalogue.service("paspor-baru") is None  # national, but no demo region adopts it
    assert catalogue.terms("ktp-el", "7371") is None
    assert catalogue.terms("no-such-service", "3576") is None
