"""Every operation of every service has an id a generated client can use as a method
name (``submit_application``), unique within its service, and at least one tag."""

import importlib
import re

import pytest

from shared.settings import Settings

SERVICES = ("identity", "intake", "routing", "notify", "audit")
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, dict]:
    settings = Settings(namespace="opids", local_dir=str(tmp_path_factory.mktemp("local")))
    return {
        name: importlib.import_module(f"services.{name}.app").build(settings).openapi()
        for name in SERVICES
    }


def operations(spec: dict) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_method_like_operation_id_unique_in_its_service(documents, service):
    found = operations(documents[service])
    ids = [operation.get("operationId", "") for _, operation in found]
    malformed = [(key, id_) for (key, _), id_ in zip(found, ids, strict=True)]
    assert [m for m in malformed if not OPERATION_ID.fullmatch(m[1])] == []
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_tag(documents, service):
    untagged = [
        key for key, operation in operations(documents[service]) if not operation.get("tags")
    ]
    assert untagged == []


def test_operation_ids_name_what_the_operation_does():
    """Spot checks of the names a mobile developer calls most."""
    settings = Settings(namespace="opids")
    from services.identity.app import build as build_identity
    from services.intake.app import build
    from tests.front_door import merged_openapi

    spec = merged_openapi(build(settings), build_identity(settings))
    ids = {key: operation["operationId"] for key, operation in operations(spec)}
    assert ids["POST /api/v1/applications"] == "submit_application"
    assert ids["GET /api/v1/applications"] == "list_my_applications"
    assert ids["GET /api/v1/track/{tracking_number}"] == "track_application"
    assert ids["POST /api/v1/auth/token"] == "sign_in"
    assert ids["GET /api/v1/me"] == "get_me"
