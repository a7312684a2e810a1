"""Schemathesis against each service's OpenAPI document, with real credentials: generated
requests (valid and invalid) never get a 5xx, and every response matches its documented
schema. Slow: it runs with ``make fuzz-api`` (reports in ``artifacts/schemathesis/``),
not ``make test``."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.audit.keys import issue_key
from services.routing.keys import ApiKeys
from shared.settings import Settings
from tests.conftest import ARTIFACTS
from tests.e2e.helpers import Stores, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        os.environ.get("MPP_FAULTS_ALL") != "1", reason="slow: run with make fuzz-api"
    ),
]

SCHEMATHESIS = Path(sys.executable).parent / "st"
EXAMPLES = os.environ.get("MPP_FUZZ_EXAMPLES", "25")


def fuzz(url: str, token: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            EXAMPLES,
            "--header",
            f"Authorization: Bearer {token}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


async def test_no_generated_request_gets_a_5xx_or_an_undocumented_response_body(platform):
    running = platform("identity", "intake", "routing", "notify", "audit")
    stores = Stores(
        Settings(mongo_uri=running.env["MPP_MONGO_URI"], namespace=running.env["MPP_NAMESPACE"])
    )
    try:
        async with httpx.AsyncClient(base_url=running.url("identity")) as client:
            citizen = await register(client)
        agency = await ApiKeys(stores.routing).issue("disdukcapil-3576")
        auditor = await issue_key(stores.audit, "fuzz")
    finally:
        await stores.close()
    credentials = {
        "identity": citizen.token,
        "intake": citizen.token,
        "routing": agency.token,
        "notify": citizen.token,
        "audit": auditor,
    }
    results = {
        name: await asyncio.to_thread(fuzz, running.url(name), token)
        for name, token in credentials.items()
    }
    reports = ARTIFACTS / "schemathesis"
    reports.mkdir(parents=True, exist_ok=True)
    for name, result in results.items():
        (reports / f"{name}.txt").write_text(result.stdout + result.stderr)
    failed = {
        name: result.stdout[-3000:] for name, result in results.items() if result.returncode != 0
    }
    for name, result in results.items():
        print(name, [line for line in result.stdout.splitlines() if "generated" in line])
    assert failed == {}
