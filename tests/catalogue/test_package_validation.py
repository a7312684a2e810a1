"""Every rule a set of packages is held to, each refused by package and path, all at once."""

import pytest

from shared.catalogue import load_catalogue
from shared.catalogue.packaging import (
    PackageInvalid,
    compile_catalogue,
    load_package,
    package_from,
)
from shared.catalogue.packaging.models import NationalPackage, RegionPackage
from tests.catalogue.support import (
    adoption,
    local_service,
    national_document,
    region_document,
)


def national(document=None) -> NationalPackage:
    return package_from(document or national_document(), "national")  # type: ignore[return-value]


def region(document) -> RegionPackage:
    return package_from(document, f"regions/{document['region']['code']}")  # type: ignore[return-value]


def problems_of(national_package, *regions) -> list[str]:
    with pytest.raises(PackageInvalid) as refused:
        compile_catalogue(national_package, list(regions))
    return [str(problem) for problem in refused.value.problems]


def refused_document(document, where="regions/3576") -> list[str]:
    with pytest.raises(PackageInvalid) as refused:
        package_from(document, where)
    return [str(problem) for problem in refused.value.problems]


def test_an_sla_above_the_national_maximum_is_refused_by_its_path():
    mojokerto = region_document("3576")
    index, entry = adoption(mojokerto, "ktp-el")
    entry["sla_working_days"] = 20
    assert problems_of(national(), region(mojokerto)) == [
        f"regions/3576: adopts[{index}].sla_working_days: 20 is above the national maximum 14"
    ]


def test_an_sla_at_the_national_maximum_or_shorter_is_accepted():
    mojokerto = region_document("3576")
    adoption(mojokerto, "ktp-el")[1]["sla_working_days"] = 14
    adoption(mojokerto, "skck")[1]["sla_working_days"] = 1
    catalogue = compile_catalogue(national(), [region(mojokerto)])
    assert catalogue.terms("skck", "3576").sla_working_days == 1


def test_a_service_handled_by_another_regions_office_is_refused():
    mojokerto = region_document("3576")
    index, entry = adoption(mojokerto, "skck")
    entry["office"] = "polres-3514"
    pasuruan = region(region_document("3514"))
    assert problems_of(national(), pasuruan, region(mojokerto)) == [
        f"regions/3576: adopts[{index}].office: polres-3514 is not an office of region 3576"
    ]


def test_an_unknown_national_service_cannot_be_adopted():
    mojokerto = region_document("3576")
    mojokerto["adopts"].append({"service": "izin-tambang", "office": "dpmptsp-3576"})
    at = len(mojokerto["adopts"]) - 1
    assert problems_of(national(), region(mojokerto)) == [
        f"regions/3576: adopts[{at}].service: izin-tambang is not a national service"
    ]


def test_a_service_adopted_twice_is_refused():
    mojokerto = region_document("3576")
    mojokerto["adopts"].append({"service": "nib", "office": "dpmptsp-3576"})
    at = len(mojokerto["adopts"]) - 1
    assert problems_of(national(), region(mojokerto)) == [
        f"regions/3576: adopts[{at}].service: nib is adopted twice"
    ]


def test_a_local_service_is_named_by_its_region_has_its_office_and_is_not_a_national_code():
    mojokerto = region_document("3576")
    mojokerto["services"] = [
        local_service("3576-izin-reklame", "dpmptsp-3576"),
        local_service("3514-izin-reklame", "dpmptsp-3576"),
        local_service("3576-izin-reklame", "dpmptsp-3514"),
    ]
    assert problems_of(national(), region(mojokerto)) == [
        "regions/3576: services[1].code: 3514-izin-reklame: a local service's code starts "
        "with the region's code (3576-)",
        "regions/3576: services[2].office: dpmptsp-3514 is not an office of region 3576",
        "regions/3576: services[2].code: 3576-izin-reklame is listed twice",
    ]


def test_a_local_code_without_a_region_prefix_is_refused_when_the_file_is_read():
    mojokerto = region_document("3576")
    mojokerto["services"] = [local_service("nib", "dpmptsp-3576")]
    [problem] = refused_document(mojokerto)
    assert problem.startswith("regions/3576: services[0].code: 'nib' does not have the expected")


def test_an_office_code_another_region_uses_is_refused():
    mojokerto = region_document("3576")
    mojokerto["offices"][1]["code"] = "dpmptsp-3514"
    for entry in mojokerto["adopts"]:
        if entry["office"] == "dpmptsp-3576":
            entry["office"] = "dpmptsp-3514"
    pasuruan = region(region_document("3514"))
    assert problems_of(national(), pasuruan, region(mojokerto)) == [
        "regions/3576: offices[1].code: dpmptsp-3514 is already an office in regions/3514"
    ]


def test_duplicate_national_codes_are_refused():
    document = national_document()
    document["services"].append(document["services"][0])
    document["systems"].append(document["systems"][0])
    at = len(document["services"]) - 1
    assert problems_of(national(document)) == [
        f"national: systems[{len(document['systems']) - 1}].code: siak is listed twice",
        f"national: services[{at}].code: ktp-el is listed twice",
    ]


def test_a_form_that_does_not_compile_as_json_schema_is_refused_by_its_path():
    document = national_document()
    document["services"][2]["form"]["properties"]["child_name"]["type"] = "text"
    [problem] = refused_document(document, "national")
    assert problem.startswith("national: services[2].form: not a valid JSON Schema")


def test_a_personal_flag_is_true_or_false():
    mojokerto = region_document("3576")
    service = local_service("3576-izin-reklame", "dpmptsp-3576")
    service["form"]["properties"]["location"]["personal"] = "yes"
    mojokerto["services"] = [service]
    assert refused_document(mojokerto) == [
        "regions/3576: services[0].form: form field location: 'personal' is true or false"
    ]


def test_the_zone_is_one_of_wib_wita_wit_and_required():
    mojokerto = region_document("3576")
    mojokerto["region"]["zone"] = "UTC+8"
    assert refused_document(mojokerto) == [
        "regions/3576: region.zone: 'UTC+8' is not one of 'WIB', 'WITA' or 'WIT'"
    ]
    del mojokerto["region"]["zone"]
    assert refused_document(mojokerto) == ["regions/3576: region.zone: is required"]


def test_a_kafka_office_names_a_known_system_and_only_a_kafka_office_names_one():
    mojokerto = region_document("3576")
    mojokerto["offices"][0]["handler"] = {"kind": "kafka", "system": "siak-lama"}
    mojokerto["offices"][2]["handler"] = {"kind": "workbench", "system": "siak"}
    assert problems_of(national(), region(mojokerto)) == [
        "regions/3576: offices[0].handler.system: siak-lama is not a Kafka system of the "
        "national package",
        "regions/3576: offices[2].handler.system: only a kafka office is served by a system, "
        "this one is workbench",
    ]
    mojokerto["offices"][0]["handler"] = {"kind": "kafka", "system": "siak"}
    mojokerto["offices"][2]["handler"] = {"kind": "workbench"}
    catalogue = compile_catalogue(national(), [region(mojokerto)])
    assert catalogue.agency("disdukcapil-3576").handler.system == "siak"


def test_a_webhook_office_says_where_to_deliver():
    mojokerto = region_document("3576")
    mojokerto["offices"][1]["handler"] = {"kind": "webhook"}
    assert problems_of(national(), region(mojokerto)) == [
        "regions/3576: offices[1].handler.url: a webhook office needs the URL its "
        "applications are delivered to"
    ]


def test_a_region_has_one_package():
    assert problems_of(
        national(), region(region_document("3576")), region(region_document("3576"))
    )[0] == ("regions/3576: region.code: region 3576 has two packages")


def test_a_misspelt_field_is_refused_in_plain_words():
    mojokerto = region_document("3576")
    mojokerto["adopts"][0]["sla_days"] = 3
    assert refused_document(mojokerto) == [
        "regions/3576: adopts[0].sla_days: is not a field a package has (misspelt?)"
    ]


def test_every_problem_is_reported_at_once_and_the_live_catalogue_is_unchanged():
    before = load_catalogue()
    mojokerto = region_document("3576")
    adoption(mojokerto, "ktp-el")[1]["sla_working_days"] = 30
    adoption(mojokerto, "nib")[1]["office"] = "dpmptsp-9999"
    mojokerto["adopts"].append({"service": "izin-tambang", "office": "dpmptsp-3576"})
    mojokerto["services"] = [local_service("3576-izin-reklame", "bapenda-3576")]
    found = problems_of(national(), region(mojokerto))
    assert len(found) == 4
    assert all(problem.startswith("regions/3576: ") for problem in found)
    assert load_catalogue() is before
    assert load_catalogue().terms("ktp-el", "3576").sla_working_days == 14


def test_a_file_that_is_not_a_package_says_so(tmp_path):
    path = tmp_path / "7371.yaml"
    path.write_text("kind: regional\nversion: 1\n")
    with pytest.raises(PackageInvalid) as refused:
        load_package(path)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}: kind: 'regional' is not a package kind: national or region"
    ]
    path.write_text("kind: [region\n")
    with pytest.raises(PackageInvalid) as refused:
        load_package(path)
    assert str(refused.value.problems[0]).startswith(f"{path}: is not valid JSON or YAML")
