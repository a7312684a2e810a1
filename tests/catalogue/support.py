"""Package documents to change one thing in: the demo's own packages, as parsed files."""

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from shared.catalogue import PACKAGES_DIR

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "regions"


def national_document() -> dict[str, Any]:
    return json.loads((PACKAGES_DIR / "national.json").read_text(encoding="utf-8"))


def region_document(code: str) -> dict[str, Any]:
    """A demo region's package (3514, 3574, 3576, 3671) or an example's (7371, 9471)."""
    example = EXAMPLES / f"{code}.yaml"
    if example.exists():
        return yaml.safe_load(example.read_text(encoding="utf-8"))
    return json.loads((PACKAGES_DIR / "regions" / f"{code}.json").read_text(encoding="utf-8"))


def adoption(document: dict[str, Any], service: str) -> tuple[int, dict[str, Any]]:
    """The position and entry of ``service`` in a region document's ``adopts``."""
    for index, entry in enumerate(document["adopts"]):
        if entry["service"] == service:
            return index, entry
    raise LookupError(service)


def local_service(code: str, office: str) -> dict[str, Any]:
    """A small, valid local service for a region document's ``services``."""
    return copy.deepcopy(
        {
            "code": code,
            "name": {"id": "Izin reklame", "en": "Advertising permit"},
            "office": office,
            "sla_working_days": 5,
            "fee_idr": 0,
            "counters": ["Loket DPMPTSP"],
            "requirements": {"id": ["NIB"], "en": ["Business identification number"]},
            "documents": [],
            "applicant_fields": ["nik", "name"],
            "form_version": 1,
            "form": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": False,
                "required": ["location"],
                "properties": {"location": {"type": "string", "title": "Lokasi / Location"}},
            },
        }
    )
