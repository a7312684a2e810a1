"""A mobile team generates its client from intake's OpenAPI document with a third-party
generator (openapi-python-client) and it works: the generator reports no schema
problem, and the generated package registers a citizen, signs in, submits and tracks
against the real broker and database."""

import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from ops.sample_data import SAMPLE_PROFILE
from tests.e2e.helpers import new_nik, prove_account, running_intake
from tests.front_door import FrontDoor, merged_openapi

PACKAGE = "mpp_intake_client"


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


@pytest.fixture(scope="module")
def generated(intake, tmp_path_factory):
    """The client package generated from the running app's own /openapi.json."""
    folder = tmp_path_factory.mktemp("client")
    spec = folder / "intake.json"
    spec.write_text(json.dumps(merged_openapi(intake.app, intake.identity)))
    tool = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [tool, "generate", "--path", spec, "--output-path", folder / PACKAGE, "--meta", "none"],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Problems the generator finds in a schema it reports as WARNING blocks (a duplicate
    # model, a response it cannot parse, a missing reference).
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def model(name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


async def test_a_generated_client_registers_signs_in_submits_and_tracks(intake, generated):
    transport = FrontDoor(intake.app, intake.identity)
    public = generated.Client(base_url="http://intake").set_async_httpx_client(
        httpx.AsyncClient(transport=transport, base_url="http://intake")
    )
    email = f"warga-{uuid.uuid4().hex[:12]}@example.id"
    password = "kata-sandi-rahasia"
    account = {
        "nik": new_nik(),
        "name": "Siti Aminah",
        "email": email,
        "phone": "081234567890",
        "password": password,
        **SAMPLE_PROFILE,
    }
    created = await api("accounts.register_account").asyncio_detailed(
        client=public, body=model("NewAccount").from_dict(account)
    )
    assert created.status_code == 201, created.content
    profile = created.parsed
    assert isinstance(profile, model("Profile"))
    await prove_account(intake, profile.id)  # contacts and NIK proven, as at a counter

    signed_in = await api("accounts.sign_in").asyncio(
        client=public, body=model("BodySignIn")(username=email, password=password)
    )
    assert isinstance(signed_in, model("Token")), signed_in
    assert signed_in.refresh_token

    citizen = generated.AuthenticatedClient(
        base_url="http://intake", token=signed_in.access_token
    ).set_async_httpx_client(
        httpx.AsyncClient(
            transport=transport,
            base_url="http://intake",
            headers={"Authorization": f"Bearer {signed_in.access_token}"},
        )
    )
    me = await api("accounts.get_me").asyncio(client=citizen)
    assert me.can_submit is True

    accepted = await api("applications.submit_application").asyncio(
        client=citizen,
        body=model("SubmitApplication").from_dict(
            {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}, "channel": "mobile"}
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(accepted, model("AcceptedApplication")), accepted
    assert accepted.status == "submitted"

    tracked = await api("tracking.track_application").asyncio_detailed(
        tracking_number=accepted.tracking_number, client=public
    )
    assert tracked.status_code == 200
    assert tracked.parsed.status == "submitted"
    assert tracked.parsed.service == "ktp-el"
    assert "ETag" in tracked.headers

    refused = await api("tracking.track_application").asyncio(
        tracking_number="TIDAK-ADA-0000", client=public
    )
    assert isinstance(refused, model("Problem"))
    assert refused.status == 404
