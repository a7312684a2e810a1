"""The MPP's counters in a region's package: each calls services the region queues, no
counter is declared twice, every queued service has a counter, and a package that
declares none gets one counter per queued service."""

import pytest

from shared.catalogue import load_catalogue
from shared.catalogue.packaging import (
    PackageInvalid,
    compile_catalogue,
    diff_packages,
    package_from,
    render_changes,
)
from tests.catalogue.support import national_document, region_document
from tests.catalogue.test_region_examples import examples_catalogue


def compiled(document):
    national = package_from(national_document(), "national")
    region = package_from(document, "regions/3576")
    return compile_catalogue(national, [region])  # type: ignore[list-item]


def problems_of(document) -> list[str]:
    with pytest.raises(PackageInvalid) as error:
        compiled(document)
    return [str(problem) for problem in error.value.problems]


def with_counters(*counters):
    document = region_document("3576")
    document["queue"]["counters"] = list(counters)
    return document


def counter(id_: str, label: str, *services: str) -> dict:
    return {"id": id_, "label": label, "services": list(services)}


def test_the_demo_mpp_declares_five_counters_each_with_its_services():
    catalogue = load_catalogue()
    counters = catalogue.counters_of("3576")
    assert [(c.id, c.label) for c in counters] == [
        (f"loket-{n}", f"Loket {n}") for n in range(1, 6)
    ]
    loket_3 = catalogue.queue_counter("3576", "loket-3")
    assert loket_3 is not None
    assert loket_3.services == ("perpanjangan-sim",)
    assert catalogue.queue_counter("3576", "loket-9") is None
    assert catalogue.counters_of("3514") == []  # Pasuruan queues nothing


def test_makassar_declares_its_own_counters_which_are_not_mojokertos():
    catalogue, _ = examples_catalogue()
    assert [c.id for c in catalogue.counters_of("7371")] == [
        "disdukcapil-1",
        "disdukcapil-2",
        "disdukcapil-3",
    ]
    assert catalogue.queue_counter("3576", "disdukcapil-1") is None
    assert catalogue.queue_counter("7371", "loket-1") is None


def test_every_problem_with_the_counters_is_listed_by_its_path():
    problems = problems_of(
        with_counters(
            counter("loket-1", "Loket 1", "ktp-el", "paspor", "ktp-el"),
            counter("loket-2", "Loket 2", "pbg"),
            counter("loket-1", "Loket 1", "skck", "kartu-keluarga"),
        )
    )
    where = "regions/3576: "
    assert problems == [
        where + "queue.counters[0].services[1]: paspor is not a service region 3576 offers",
        where + "queue.counters[0].services[2]: ktp-el is listed twice",
        where + "queue.counters[1].services[0]: pbg is not in queue.services: region 3576 "
        "does not queue it",
        where + "queue.counters[2].id: loket-1 is listed twice",
        where + "queue.counters[2].label: Loket 1 is listed twice",
        where + "queue.services[3].service: perpanjangan-sim: no counter calls it",
    ]


def test_a_counter_without_services_or_with_a_malformed_id_is_refused_by_the_validator():
    with pytest.raises(PackageInvalid) as error:
        package_from(
            with_counters(counter("Loket 1", "Loket 1"), {"id": "loket-2"}), "regions/3576"
        )
    problems = [str(problem) for problem in error.value.problems]
    assert any("queue.counters[0].id: 'Loket 1' does not have" in p for p in problems), problems
    assert any("queue.counters[0].services" in p for p in problems), problems
    assert any("queue.counters[1].label: is required" in p for p in problems), problems


def test_a_package_without_counters_has_one_counter_per_queued_service_in_its_order():
    document = region_document("3576")
    del document["queue"]["counters"]
    counters = compiled(document).counters_of("3576")
    assert [(c.id, c.label, c.services) for c in counters] == [
        ("loket-1", "Loket 1", ("ktp-el",)),
        ("loket-2", "Loket 2", ("kartu-keluarga",)),
        ("loket-3", "Loket 3", ("skck",)),
        ("loket-4", "Loket 4", ("perpanjangan-sim",)),
    ]


def test_a_counter_added_and_one_changed_show_in_the_packages_diff():
    before = region_document("3576")
    after = region_document("3576")
    after["queue"]["counters"][2]["services"].append("skck")
    after["queue"]["counters"].append(counter("loket-6", "Loket 6", "skck"))
    changes = render_changes(
        diff_packages(package_from(before, "regions/3576"), package_from(after, "regions/3576"))
    )
    assert "counter loket-3: services perpanjangan-sim → perpanjangan-sim, skck" in changes
    assert "counter loket-6 added" in changes
