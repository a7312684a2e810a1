"""An officer's whole sign-in at the workbench on the real services: identity and
routing each their own process on the real broker and database, a browser speaking to
each at its own address. The password travels only to identity's address; routing
takes none: it has no route a password could be posted to, and its code reads no
password field."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.conftest import add_staff
from tests.identity.conftest import CSRF

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ROUTING_CODE = Path(__file__).resolve().parents[2] / "services" / "routing"
USERNAME = "sari.polres"
PASSWORD = "sandi-bripda-sari-3576"


class PasswordWatch:
    """Every request the browser sends whose body holds the password, by address."""

    def __init__(self) -> None:
        self.sent_to: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        if PASSWORD.encode() in request.read() or PASSWORD in str(request.url):
            self.sent_to.append(f"{request.url.scheme}://{request.url.netloc.decode()}")


def test_routing_reads_no_password_field():
    read = [
        f"{path.relative_to(ROUTING_CODE)}:{number}"
        for path in ROUTING_CODE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"""["']password["']""", line)
    ]
    assert read == []


async def test_an_officer_signs_in_on_the_real_services_and_routing_never_gets_the_password(
    platform,
):
    running = platform("identity", "routing")
    routing, identity = running.url("routing"), running.url("identity")
    add_staff(running.env, USERNAME, PASSWORD, "--role", "officer", "--agency", "polres-3576")
    watch = PasswordWatch()
    async with httpx.AsyncClient(timeout=30, event_hooks={"request": [watch]}) as browser:
        started = await browser.get(f"{routing}/workbench/signin?next=/workbench/?status=routed")
        assert started.status_code == 303
        provider_page = started.headers["location"]
        assert provider_page.startswith(f"{identity}/oauth/authorize?")
        page = await browser.get(provider_page)
        assert page.status_code == 200
        [action] = re.findall(r'<form method="post" action="([^"]+)"', page.text)
        assert urlsplit(action).path == "/oauth/authorize"  # posted back to identity
        csrf = CSRF.search(page.text)
        assert csrf is not None
        typed = await browser.post(
            provider_page,
            data={"csrf": csrf.group(1), "username": USERNAME, "password": PASSWORD},
        )
        assert typed.status_code in (302, 303), typed.text
        callback = typed.headers["location"]
        assert callback.startswith(f"{routing}/workbench/oidc/callback?code=")
        back = await browser.get(callback)
        assert back.status_code == 303, back.text
        assert back.headers["location"] == "/workbench/?status=routed"
        queue = await browser.get(f"{routing}{back.headers['location']}")
        assert queue.status_code == 200
        assert f"Keluar ({USERNAME})" in queue.text

        # The old password form is gone: routing has nowhere to take a password.
        posted = await browser.post(
            f"{routing}/workbench/signin",
            data={"csrf": csrf.group(1), "username": USERNAME, "password": PASSWORD},
        )
        assert posted.status_code == 405
    assert watch.sent_to == [identity, routing]  # the sign-in, then the refused post above
    assert PASSWORD not in running.logs()
