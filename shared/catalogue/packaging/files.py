"""Package files: JSON or YAML, read into the model their ``kind`` names.

A file that does not parse, names no kind, or breaks a model's rule is refused with every
problem by path (:class:`PackageInvalid`), like a set of packages that does not compile.
"""

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.catalogue.packaging.models import NationalPackage, RegionPackage
from shared.catalogue.packaging.problems import (
    PackageInvalid,
    PackageProblem,
    from_validation_error,
)

__all__ = ["load_package", "package_from", "read_document"]

_KINDS: dict[str, type[NationalPackage] | type[RegionPackage]] = {
    "national": NationalPackage,
    "region": RegionPackage,
}


def _parsed(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        return yaml.safe_load(text)
    return json.loads(text)


def package_from(document: Any, where: str) -> NationalPackage | RegionPackage:
    """A parsed document as the package its ``kind`` names (``where`` names it in problems)."""
    kind = document.get("kind") if isinstance(document, dict) else None
    model = _KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise PackageInvalid(
            [PackageProblem(where, "kind", f"{kind!r} is not a package kind: national or region")]
        )
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise PackageInvalid(from_validation_error(where, error)) from None


def read_document(path: str | Path) -> dict[str, Any]:
    """The package in a file as a JSON document (YAML's dates as ISO strings), the form
    it is published in."""
    return load_package(path).model_dump(mode="json")


def load_package(path: str | Path) -> NationalPackage | RegionPackage:
    """The package in a ``.json``, ``.yaml`` or ``.yml`` file."""
    path = Path(path)
    try:
        document = _parsed(path)
    except OSError as error:
        raise PackageInvalid(
            [PackageProblem(str(path), "", f"cannot be read ({error.strerror})")]
        ) from None
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise PackageInvalid(
            [PackageProblem(str(path), "", f"is not valid JSON or YAML: {error}")]
        ) from None
    return package_from(document, str(path))
