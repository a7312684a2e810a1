"""The JSON Schemas in docs/ are the package models', and the examples meet them."""

import json

import yaml
from jsonschema import Draft202012Validator

from shared.catalogue import PACKAGES_DIR
from shared.catalogue.packaging.schema import package_schema_text
from tests.catalogue.support import EXAMPLES, ROOT


def published(kind: str) -> str:
    return (ROOT / "docs" / f"catalogue-{kind}.schema.json").read_text(encoding="utf-8")


def test_the_published_schemas_are_generated_from_the_package_models():
    for kind in ("national", "region"):
        assert published(kind) == package_schema_text(kind), (
            f"docs/catalogue-{kind}.schema.json is stale: "
            f"mpp catalogue schema {kind} > docs/catalogue-{kind}.schema.json"
        )


def test_the_packages_and_examples_meet_the_published_schemas():
    region = Draft202012Validator(json.loads(published("region")))
    national = Draft202012Validator(json.loads(published("national")))
    national.validate(json.loads((PACKAGES_DIR / "national.json").read_text()))
    for path in sorted((PACKAGES_DIR / "regions").glob("*.json")):
        region.validate(json.loads(path.read_text()))
    for path in sorted(EXAMPLES.glob("*.yaml")):
        region.validate(yaml.safe_load(path.read_text()))
    broken = yaml.safe_load((EXAMPLES / "7371.yaml").read_text())
    broken["region"]["zone"] = "UTC+8"
    assert not region.is_valid(broken)
