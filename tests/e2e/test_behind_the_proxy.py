"""Intake in production mode behind the deployment's own nginx (deploy/nginx/), as
docs/operations.md runs it: citizens are told apart by the address nginx saw, a forged
X-Forwarded-For buys no one a fresh rate-limit bucket, cookies are Secure and HSTS is
sent, and nginx's request id is the correlation id of the events a request causes.

Every client connects from its own loopback address (127.0.0.0/8 is all loopback on
Linux), so each has its own bucket; nginx connects to intake from 127.0.0.1, the one
trusted proxy.
"""

import asyncio
import base64
import html
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ops.localstack import LocalStack, free_port
from ops.processes import PlatformProcess, service_process
from shared.settings import Settings
from shared.topics import Topics
from tests.conftest import ARTIFACTS
from tests.e2e.helpers import INTAKE_DATABASES, read_topic, register, running_intake
from tests.front_door import provider_sign_in_page
from tests.nginx import nginx_binary, running_nginx

RATE_PER_IP = 6
PRODUCTION = {
    "MPP_ENVIRONMENT": "production",
    "MPP_TRUSTED_PROXIES": "127.0.0.1",
    "MPP_INTAKE_RATE_PER_IP": str(RATE_PER_IP),
    "MPP_AUTH_CODE_SECRET": "test-auth-code-secret-0123456789",
    "MPP_CODE_DELIVERY_SECRET": "test-code-delivery-secret-0123456789",
    "MPP_DOCUMENT_LINK_SECRET": "test-document-link-secret-0123456789",
    "MPP_DUKCAPIL_TOKEN": "test-dukcapil-token",
    "MPP_BLIND_INDEX_SECRET": "test-blind-index-secret-0123456789",
    "MPP_OIDC_KEY_SECRET": "test-oidc-key-secret-0123456789ab",
}


@dataclass
class Deployment:
    proxy: str  # nginx's base URL
    intake: str  # intake's own address, reachable without the proxy
    settings: Settings

    def client(self, source: str, base: str | None = None) -> httpx.AsyncClient:
        """A client connecting from the loopback address ``source``."""
        transport = httpx.AsyncHTTPTransport(local_address=source)
        return httpx.AsyncClient(transport=transport, base_url=base or self.proxy, timeout=30)


@pytest.fixture(scope="module")
def deployment(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx_binary()  # skips when nginx is not installed
    namespace = f"t{uuid.uuid4().hex[:10]}"
    env = {
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_NAMESPACE": namespace,
        "MPP_LOG_FORMAT": "json",
        **PRODUCTION,
    }
    # Production never makes a master key of its own: it is given one, as a file.
    master_key = tmp_path_factory.mktemp("keys") / "master.key"
    master_key.write_text(base64.b64encode(os.urandom(32)).decode())
    env["MPP_MASTER_KEY_FILE"] = str(master_key)
    # One origin, as in docker-compose: the portal and the provider's pages link relatively.
    env["MPP_WEB_URLS"] = '{"intake": "", "identity": ""}'
    log_dir = ARTIFACTS / "test-logs" / "behind_the_proxy"
    env["MPP_IDENTITY_PORT"] = str(free_port())  # intake asks identity there
    identity = service_process("identity", env, int(env["MPP_IDENTITY_PORT"]), log_dir).start()
    intake: PlatformProcess = service_process("intake", env, free_port(), log_dir).start()
    try:
        identity.wait_ready(timeout=90)
        intake.wait_ready(timeout=90)
        upstreams = {
            "intake": f"8000|127.0.0.1:{intake.port}",
            "identity": f"8004|127.0.0.1:{identity.port}",
        }
        with running_nginx(Path(tmp_path_factory.mktemp("nginx")), upstreams, free_port()) as proxy:
            settings = Settings(
                kafka_bootstrap=stack.kafka_bootstrap,
                mongo_uri=stack.mongo_uri,
                namespace=namespace,
            )
            INTAKE_DATABASES[proxy] = settings  # register() proves citizens in this database
            yield Deployment(proxy=proxy, intake=intake.url, settings=settings)
    finally:
        intake.stop()
        identity.stop()


async def statuses(client: httpx.AsyncClient, count: int, forged: bool = False) -> list[int]:
    answers = []
    for i in range(count):
        headers = {"X-Forwarded-For": f"203.0.113.{i + 1}"} if forged else {}
        answers.append((await client.get("/api/v1/regions", headers=headers)).status_code)
    return answers


async def test_two_citizens_behind_the_proxy_have_separate_rate_limit_buckets(deployment):
    async with deployment.client("127.0.0.1") as first, deployment.client("127.0.0.2") as second:
        assert await statuses(first, RATE_PER_IP + 1) == [200] * RATE_PER_IP + [429]
        assert await statuses(second, 1) == [200]


async def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_bucket(deployment):
    async with deployment.client("127.0.0.3") as through_proxy:
        answers = await statuses(through_proxy, RATE_PER_IP + 1, forged=True)
        assert answers == [200] * RATE_PER_IP + [429]
    # straight to intake, from a peer that is not a trusted proxy: the header is ignored,
    # even when it names an address whose bucket is empty
    async with deployment.client("127.0.0.4", deployment.intake) as direct:
        emptied = {"X-Forwarded-For": "127.0.0.3"}
        assert (await direct.get("/api/v1/regions", headers=emptied)).status_code == 200
        answers = await statuses(direct, RATE_PER_IP, forged=True)
        assert answers == [200] * (RATE_PER_IP - 1) + [429]


def cookie_named(response: httpx.Response, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def is_secure(cookie: str) -> bool:
    return "secure" in [part.strip().lower() for part in cookie.split(";")[1:]]


async def test_in_production_cookies_are_secure_and_hsts_is_sent(deployment):
    async with deployment.client("127.0.0.6") as registering:
        citizen = await register(registering)
    async with deployment.client("127.0.0.5") as browser:
        started = await browser.get("/portal/signin")
        assert started.status_code == 303
        waiting = cookie_named(started, "mpp_oidc_portal")
        assert is_secure(waiting)
        page = await browser.get(started.headers["location"])
        assert page.status_code == 200
        assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        csrf = cookie_named(page, "mpp_csrf")
        assert is_secure(csrf)
        token = csrf.split(";")[0].split("=", 1)[1]
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        answered = await browser.post(
            html.unescape(action),
            data={"csrf": token, "username": citizen.email, "password": citizen.password},
            headers={"Cookie": f"mpp_csrf={token}"},  # a Secure cookie is not sent over http
        )
        assert answered.status_code == 302, answered.text
        signed_in = await browser.get(
            answered.headers["location"], headers={"Cookie": waiting.split(";")[0]}
        )
        assert signed_in.status_code == 303, signed_in.text
        assert is_secure(cookie_named(signed_in, "mpp_session"))
        assert is_secure(cookie_named(signed_in, "mpp_device"))
        assert "strict-transport-security" in signed_in.headers


@pytest.fixture
async def local_intake(stack) -> AsyncIterator[httpx.AsyncClient]:
    async with running_intake(stack) as client:
        yield client


async def test_in_local_mode_cookies_are_not_secure_and_no_hsts_is_sent(local_intake):
    page, _ = await provider_sign_in_page(local_intake)
    assert page.status_code == 200
    assert not is_secure(cookie_named(page, "mpp_csrf"))
    assert "strict-transport-security" not in page.headers


async def test_the_correlation_id_a_response_names_is_the_one_on_the_applications_event(
    deployment,
):
    async with deployment.client("127.0.0.7") as client:
        citizen = await register(client)
        body = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
        sent = []
        for chosen in (None, "mobile-app-7f3a9c21"):
            headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
            if chosen:
                headers["X-Correlation-Id"] = chosen
            response = await client.post("/api/v1/applications", json=body, headers=headers)
            assert response.status_code == 202, response.text
            sent.append((response.json()["id"], response.headers["x-correlation-id"]))
    (_, from_nginx), (_, from_client) = sent
    assert re.fullmatch(r"[0-9a-f]{32}", from_nginx), "nginx's $request_id"
    assert from_client == "mobile-app-7f3a9c21"
    topic = Topics(deployment.settings.namespace).submitted
    events = await read_topic(deployment.settings.kafka_bootstrap, topic, until=len(sent))
    on_the_wire = {event.subject: event.correlation_id for event in events}
    assert on_the_wire == dict(sent)


async def board_then_ping(client: httpx.AsyncClient) -> tuple[httpx.Headers, float, float]:
    """The hall's display stream opened: its headers, and the seconds until its first
    ``board`` event and its first keep-alive ping (15 s later) have arrived."""
    started = time.monotonic()
    board = None
    async with client.stream("GET", "/antrean/3576/layar/siaran") as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():
            if line.startswith("event: board") and board is None:
                board = time.monotonic() - started
            if line.startswith(": ping") and board is not None:
                return stream.headers, board, time.monotonic() - started
    raise AssertionError("the stream ended")


async def test_the_hall_display_stream_passes_the_proxy_as_it_is_sent(deployment):
    """The display's server-sent events through the deployment's nginx: the stream is
    not buffered whole (no length), its first board arrives at once and the ping that
    keeps it inside nginx's 60-second read timeout 15 seconds later, as sent."""
    async with deployment.client("127.0.0.12") as screen:
        headers, board, ping = await asyncio.wait_for(board_then_ping(screen), 40)
    print(f"\nthrough nginx: the first board after {board:.2f} s, the first ping {ping:.2f} s")
    assert headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in headers
    assert board < 3
    assert 14 < ping < 20
