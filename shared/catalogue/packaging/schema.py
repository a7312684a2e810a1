"""The JSON Schema of each package kind, as published in docs/ for package authors.

Generated from the models, so the published schema and what ``mpp catalogue validate``
accepts cannot drift apart (a test compares the files in docs/ with these).
"""

import json
from typing import Any, Literal

from shared.catalogue.packaging.models import NationalPackage, RegionPackage

__all__ = ["package_schema", "package_schema_text"]

_TITLES = {
    "national": "MPP Digital national catalogue package",
    "region": "MPP Digital region catalogue package",
}


def package_schema(kind: Literal["national", "region"]) -> dict[str, Any]:
    model = NationalPackage if kind == "national" else RegionPackage
    schema = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://mpp.example.go.id/schemas/catalogue-{kind}.schema.json",
        **schema,
        "title": _TITLES[kind],
    }


def package_schema_text(kind: Literal["national", "region"]) -> str:
    """The schema as the file in docs/ holds it (``docs/catalogue-<kind>.schema.json``)."""
    return json.dumps(package_schema(kind), indent=2, ensure_ascii=False) + "\n"
