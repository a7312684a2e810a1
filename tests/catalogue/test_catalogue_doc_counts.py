"""The counts docs/catalogue.md gives for the shipped packages and the examples are the
packages' own."""

import re
from pathlib import Path

from shared.catalogue import PACKAGES_DIR
from shared.catalogue.packaging import load_package
from tests.catalogue.support import EXAMPLES

DOC = (Path(__file__).parents[2] / "docs" / "catalogue.md").read_text(encoding="utf-8")
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}


def _row(path: str) -> str:
    return next(line for line in DOC.splitlines() if line.startswith(f"| `{path}`"))


def test_the_national_package_row_counts_its_services_offices_and_systems():
    national = load_package(PACKAGES_DIR / "national.json")
    row = _row("shared/catalogue/packages/national.json")
    found = re.search(r"\((\d+) standard services, (\w+) national offices?, (\w+) Kafka", row)
    assert found, row
    services, offices, systems = found.groups()
    assert int(services) == len(national.services)
    assert WORDS[offices] == len(national.offices)
    assert WORDS[systems] == len(national.systems)


def test_each_example_row_counts_what_it_adopts_and_adds():
    for code in ("7371", "9471"):
        region = load_package(EXAMPLES / f"{code}.yaml")
        row = _row(f"examples/regions/{code}.yaml")
        found = re.search(r"adopts (?:all )?(\d+) national services and adds (\d+)", row)
        assert found, row
        assert int(found.group(1)) == len(region.adopts)
        assert int(found.group(2)) == len(region.services)
