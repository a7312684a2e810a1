"""Operators run the provider with ``mpp oidc``: a rotation reaches the running service
without a restart, and a client added on the command line can get tokens at once."""

import asyncio
import re

import pytest
from joserfc import jwt

from tests.identity.conftest import Served
from tests.integration.test_staff_accounts import mpp

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


async def test_mpp_oidc_adds_a_client_and_rotates_the_keys_the_running_service_signs_with(
    served: Served, stack_env: dict[str, str]
):
    code, output = await mpp(
        stack_env, "oidc", "add-client", "sistem-samsat", "--name", "Sistem Samsat",
        "--role", "service", "--agency", "samsat-3576",
    )  # fmt: skip
    assert code == 0, output
    secret = re.search(r"client_secret: (\S+)", output).group(1)

    async def kid_of_a_new_token() -> str:
        async with served.http() as http:
            got = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("sistem-samsat", secret),
            )
            keys = (await http.get("/oauth/jwks")).json()
        assert got.status_code == 200, got.text
        token = got.json()["access_token"]
        ring = await served.provider.keys.ring()
        assert {key["kid"] for key in keys["keys"]} == {key["kid"] for key in ring.jwks()["keys"]}
        return jwt.decode(token, ring.verifying_keys(), ["EdDSA"]).header["kid"]

    before = await kid_of_a_new_token()
    code, output = await mpp(stack_env, "oidc", "rotate-keys")
    assert code == 0, output
    rotated = re.search(r"new current key: (\S+);", output).group(1)
    assert rotated != before
    await asyncio.sleep(served.settings.oidc_key_cache_seconds + 0.1)
    assert await kid_of_a_new_token() == rotated
    code, listed = await mpp(stack_env, "oidc", "keys")
    assert f"{before}\tretired" in listed
    assert f"{rotated}\tcurrent" in listed
    code, clients = await mpp(stack_env, "oidc", "clients")
    assert "sistem-samsat\tconfidential" in clients
    assert "mobile\tpublic" in clients
    assert secret not in clients
    assert (await mpp(stack_env, "oidc", "disable-client", "sistem-samsat"))[0] == 0
    async with served.http() as http:
        refused = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("sistem-samsat", secret),
        )
    assert refused.status_code == 401
