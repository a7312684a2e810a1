"""The example packages of Kota Makassar (WITA) and Kota Jayapura (WIT) compile with the
national package, beside the demo regions, and offer over a hundred services together."""

from shared.catalogue import PACKAGES_DIR
from shared.catalogue.labels import _labels, option_label
from shared.catalogue.packaging import compile_catalogue, load_package
from tests.catalogue.support import EXAMPLES


def examples_catalogue():
    national = load_package(PACKAGES_DIR / "national.json")
    demo = [load_package(p) for p in sorted((PACKAGES_DIR / "regions").glob("*.json"))]
    examples = [load_package(EXAMPLES / "7371.yaml"), load_package(EXAMPLES / "9471.yaml")]
    return compile_catalogue(national, demo + examples), examples  # type: ignore[arg-type]


def test_makassar_and_jayapura_compile_and_offer_at_least_100_services_together():
    catalogue, _ = examples_catalogue()
    makassar = {s.code for s in catalogue.services_in("7371")}
    jayapura = {s.code for s in catalogue.services_in("9471")}
    assert len(makassar | jayapura) >= 100
    assert len(makassar) + len(jayapura) >= 140
    assert {"ktp-el", "skck", "sim-baru", "paspor-baru", "npwp"} <= makassar & jayapura
    assert "7371-izin-reklame" in makassar - jayapura
    assert "9471-izin-usaha-perikanan" in jayapura - makassar


def test_each_example_names_its_zone_its_mpp_and_its_own_days_off():
    catalogue, _ = examples_catalogue()
    makassar, jayapura = catalogue.region("7371"), catalogue.region("9471")
    assert (makassar.name, makassar.mpp, makassar.zone) == (
        "Kota Makassar",
        "MPP Kota Makassar",
        "WITA",
    )
    assert (jayapura.name, jayapura.mpp, jayapura.zone) == (
        "Kota Jayapura",
        "MPP Kota Jayapura",
        "WIT",
    )
    assert jayapura.holidays[0].name.id == "Hari Pekabaran Injil di Tanah Papua"


def test_each_example_routes_its_services_to_its_own_offices_with_its_own_terms():
    catalogue, _ = examples_catalogue()
    for region in ("7371", "9471"):
        for service in catalogue.services_in(region):
            terms = catalogue.terms(service.code, region)
            agency = catalogue.agency(terms.agency)
            assert agency.region == region, (service.code, region)
            assert terms.counters, service.code
            assert terms.sla_working_days <= service.sla_working_days
    assert catalogue.terms("ktp-el", "7371").sla_working_days == 1
    assert catalogue.terms("ktp-el", "9471").sla_working_days == 7
    assert catalogue.agency("disdukcapil-9471").handler.system == "siak"
    assert {system.code for system in catalogue.systems} == {
        "siak",
        "bpjs-kesehatan-jkn",
        "bpjs-ketenagakerjaan-smile",
    }
    assert catalogue.agency_for("skck", "7371").name.id.startswith("Kepolisian Resor Kota Besar")


def test_every_option_and_document_of_the_examples_has_words_in_both_languages():
    catalogue, _ = examples_catalogue()
    for service in catalogue.services:
        for field, spec in service.form.get("properties", {}).items():
            for value in spec.get("enum", []):
                for lang in ("id", "en"):
                    assert option_label(field, value, lang) != str(value), (field, value)
                    assert str(value) in _labels()["options"].get(field, {}), (field, value)
        for kind in service.documents:
            assert kind in _labels()["documents"], kind
