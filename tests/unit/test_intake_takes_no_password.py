"""No service but identity takes a citizen's password: intake's app has no route that
accepts a password field, in its API or its pages. The password is typed on identity's
pages only (the provider's sign-in page and ``/account/...``)."""

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount

from services.intake.app import build
from shared.settings import Settings

INTAKE = Path(__file__).resolve().parents[2] / "services" / "intake"
PASSWORD_KEY = re.compile(r"""["'][a-z_]*password[a-z_]*["']""")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build(Settings(namespace="nopw", local_dir=str(tmp_path_factory.mktemp("local"))))


def _walk(routes: Any) -> Any:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # a router FastAPI included
            yield from _walk(route.effective_candidates())
        else:
            yield route


def _properties(schema: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """Every property name a request body may carry, references and unions followed."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _properties(spec["components"]["schemas"][name], spec)
    found = set(schema.get("properties", {}))
    for nested in schema.get("properties", {}).values():
        found |= _properties(nested, spec)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found |= _properties(option, spec)
    if isinstance(schema.get("items"), dict):
        found |= _properties(schema["items"], spec)
    return found


def test_no_operation_of_intakes_api_takes_a_password_field(app) -> None:
    spec = app.openapi()
    taken = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                taken |= _properties(content.get("schema", {}), spec)
    assert taken, "the API's request bodies were not read"
    assert not {name for name in taken if "password" in name}


def test_no_page_of_intake_reads_or_draws_a_password_field(app) -> None:
    pages = [
        route
        for route in _walk(app.routes)
        if not isinstance(route, Mount) and not getattr(route, "include_in_schema", True)
    ]
    assert any(route.path == "/portal/oidc/callback" for route in pages)
    readers = {route.endpoint.__module__ for route in pages}
    assert "services.intake.web.signin" in readers
    for module in sorted(readers):
        source = Path(__import__(module, fromlist=["_"]).__file__).read_text()
        assert not PASSWORD_KEY.findall(source), f"{module} reads a password field"
    for template in (INTAKE / "web" / "templates").glob("*.html"):
        html = template.read_text()
        assert 'type="password"' not in html, template.name
        assert not re.search(r'(field\(|name=)"[a-z_]*password', html), template.name


def test_no_module_of_intake_names_a_password_field(app) -> None:
    named = {
        str(path.relative_to(INTAKE)): PASSWORD_KEY.findall(path.read_text())
        for path in INTAKE.rglob("*.py")
    }
    assert {path: keys for path, keys in named.items() if keys} == {}
