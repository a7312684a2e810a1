"""Hole 5: the workbench's sign-in must not let anyone lock officers out.

Routing's sign-in page hands the username and password to intake server to server, so
intake saw every officer's sign-in coming from routing's address: one browser's wrong
passwords for an officer's name (or a flood of them) throttled that officer — and every
officer — wherever they signed in from. Routing now names the browser's address to
intake in a header signed with the key the two share, and intake throttles by that
address; the header is believed from nobody else. Intake and routing run in this
process on the real broker and database.
"""

import httpx
import pytest

from shared.settings import Settings

AGENCY = "polres-3576"
RATE_PER_IP = 40
SIGNED_CLIENT_HEADER = "X-MPP-Signed-Client"


@pytest.fixture
def settings(stack_env, monkeypatch) -> Settings:
    """Intake's per-IP limit low enough for a test to reach it."""
    for key, value in {**stack_env, "MPP_INTAKE_RATE_PER_IP": str(RATE_PER_IP)}.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.fixture
async def desk(service_app):
    intake, routing = await service_app("intake"), await service_app("routing")
    staff = intake.identity.state.accounts.staff
    await staff.add("andi.pratama", "officer", "sandi-andi-pratama", agency=AGENCY, name="Andi")
    await staff.add("dewi.kasat", "supervisor", "sandi-dewi-kasat-1", agency=AGENCY, name="Dewi")
    routing.app.state.intake_signin.transport = httpx.ASGITransport(app=intake.identity)
    return intake, routing


class Browser:
    """Routing's workbench as one browser at ``ip`` sees it."""

    def __init__(self, routing: httpx.AsyncClient, ip: str) -> None:
        transport = httpx.ASGITransport(app=routing.app, client=(ip, 51000))  # type: ignore[attr-defined]
        self.client = httpx.AsyncClient(transport=transport, base_url="http://routing")

    async def sign_in(self, username: str, password: str) -> httpx.Response:
        if "mpp_csrf" not in self.client.cookies:
            await self.client.get("/workbench/signin")
        return await self.client.post(
            "/workbench/signin",
            data={
                "csrf": self.client.cookies["mpp_csrf"],
                "username": username,
                "password": password,
            },
        )


async def test_one_browsers_wrong_passwords_do_not_lock_the_officer_out_of_the_workbench(desk):
    _, routing = desk
    attacker, officer = Browser(routing, "203.0.113.66"), Browser(routing, "198.51.100.20")
    answers = [await attacker.sign_in("andi.pratama", "tebakan-salah") for _ in range(8)]
    assert answers[0].status_code == 401
    assert answers[-1].status_code == 429  # the guesser is slowed down

    signed = await officer.sign_in("andi.pratama", "sandi-andi-pratama")
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/workbench/"


async def test_a_flood_through_the_workbench_does_not_spend_every_officers_share(desk):
    _, routing = desk
    attacker = Browser(routing, "203.0.113.67")
    for _ in range(RATE_PER_IP + 5):
        await attacker.sign_in(f"bukan-{_}", "tebakan-salah")
    supervisor = Browser(routing, "198.51.100.21")
    signed = await supervisor.sign_in("dewi.kasat", "sandi-dewi-kasat-1")
    assert signed.status_code == 303, signed.text


async def test_intake_believes_the_browsers_address_only_when_routing_signed_it(desk):
    intake, _ = desk
    # A caller that reaches intake directly cannot pick a new address for every guess.
    answers = []
    for n in range(8):
        answers.append(
            await intake.post(
                "/api/v1/auth/token",
                data={"username": "andi.pratama", "password": "tebakan-salah"},
                headers={SIGNED_CLIENT_HEADER: f"10.9.8.{n};1;{'0' * 64}"},
            )
        )
    assert answers[0].status_code == 401
    assert answers[-1].status_code == 429
