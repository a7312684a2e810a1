"""The national-scale generator makes a catalogue the platform accepts, with the counts
asked for; the catalogue benchmark refuses figures no measurement gives. No servers: the
full-size run is ``python -m bench.catalogue``, kept out of the test suite."""

import json

import pytest

from bench.catalogue import consistent
from bench.common import Figure, ImpossibleFigure
from bench.national_catalogue import generate, region_codes, write
from shared.catalogue.live import built_in_documents, compile_documents
from shared.i18n.zones import zone_for_region


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    directory = tmp_path_factory.mktemp("national")
    national, regions = generate(regions=5, services=150)
    write(directory, national, regions)
    return directory, national, regions


def test_a_small_national_catalogue_compiles_with_the_counts_asked_for(small):
    directory, _, regions = small
    catalogue = compile_documents(built_in_documents(directory))
    assert len(catalogue.regions) == 5
    for region in catalogue.regions:
        offered = [t for t in catalogue.region_terms if t.region == region.code]
        assert 140 <= len(offered) <= 160, region.code
        assert len([a for a in catalogue.agencies if a.region == region.code]) == 29
    assert len(catalogue.systems) == 59
    assert sum(len(r["adopts"]) + len(r["services"]) for r in regions) == len(
        catalogue.region_terms
    )


def test_every_kafka_office_is_served_by_a_national_system(small):
    directory, national, _ = small
    catalogue = compile_documents(built_in_documents(directory))
    systems = {system["code"] for system in national["systems"]}
    regional = [a for a in catalogue.agencies if a.region and a.handler.kind == "kafka"]
    assert regional
    assert all(a.handler.system in systems for a in regional)
    named = {a.handler.system for a in regional}
    assert {"siak", f"samsat-{regional[0].region[:2]}", "polri-presisi"} <= named


def test_regions_keep_their_province_zone_and_a_small_catalogue_spans_the_zones(small):
    _, _, regions = small
    zones = {r["region"]["zone"] for r in regions}
    for package in regions:
        code = package["region"]["code"]
        assert package["region"]["zone"] == zone_for_region(code).tzname(None)
    assert zones == {"WIB", "WITA", "WIT"}


def test_every_kemendagri_region_is_there_once_with_the_known_cities():
    codes = [code for code, _, _ in region_codes(514)]
    assert len(codes) == len(set(codes)) == 514
    assert len({code[:2] for code in codes}) == 38
    names = {code: name for code, name, _ in region_codes(514)}
    assert names["7371"] == "Kota Makassar"
    assert names["9471"] == "Kota Jayapura"
    assert names["3576"] == "Kota Mojokerto"


def test_regions_copy_local_forms_with_changes_of_their_own():
    _, regions = generate(regions=20, services=150)
    forms: dict[str, list[str]] = {}
    for package in regions:
        code = package["region"]["code"]
        for service in package["services"]:
            name = service["code"].removeprefix(f"{code}-")
            forms.setdefault(name, []).append(json.dumps(service["form"], sort_keys=True))
    assert any(len(set(copies)) > 1 for copies in forms.values()), "every copy the same"
    assert any(len(set(copies)) < len(copies) for copies in forms.values()), "none copied"


def test_the_same_arguments_make_the_same_catalogue_and_another_seed_another():
    assert generate(regions=3, services=40) == generate(regions=3, services=40)
    assert generate(regions=3, services=40) != generate(regions=3, services=40, seed=30)


def test_a_p99_below_its_p50_is_refused():
    figures = [
        Figure("publish → live: intake p50", 900.0, "ms"),
        Figure("publish → live: intake p99", 400.0, "ms"),
    ]
    with pytest.raises(ImpossibleFigure, match=r"intake p99: 400\.0 below its p50"):
        consistent("catalogue", figures)


@pytest.mark.parametrize("value", [-1.0, float("nan"), None])
def test_a_negative_or_missing_publish_time_is_refused(value):
    with pytest.raises(ImpossibleFigure):
        consistent("catalogue", [Figure("publish → live: every service p50", value, "ms")])  # type: ignore[arg-type]


def test_figures_that_can_be_measurements_pass():
    consistent(
        "catalogue",
        [
            Figure("GET /api/v1/services?region= p50", 12.0, "ms", 4.0, "demo catalogue"),
            Figure("GET /api/v1/services?region= p99", 40.0, "ms", 9.0, "demo catalogue"),
            Figure("topics", 134, "topics"),
        ],
    )
