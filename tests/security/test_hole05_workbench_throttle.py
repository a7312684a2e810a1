"""Hole 5: the workbench's sign-in must not let anyone lock officers out.

Routing's sign-in page once handed the username and password to intake server to
server, so every officer's sign-in came from routing's address: one browser's wrong
passwords for an officer's name (or a flood of them) throttled that officer — and every
officer — wherever they signed in from. The workbench now sends the officer's browser
to the identity service's provider, where the password is typed, so the provider sees
each browser's own address and throttles by it; and a client-address header is believed
only with the signature of a service that shares the key. Identity, intake and routing
run in this process on the real broker and database.
"""

import pytest

from shared.settings import Settings
from tests.integration.officer_browser import OfficerBrowser

AGENCY = "polres-3576"
RATE_PER_IP = 40
SIGNED_CLIENT_HEADER = "X-MPP-Signed-Client"


@pytest.fixture
def settings(stack_env, monkeypatch) -> Settings:
    """The per-IP limit (intake's and identity's) low enough for a test to reach it."""
    for key, value in {**stack_env, "MPP_INTAKE_RATE_PER_IP": str(RATE_PER_IP)}.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.fixture
async def desk(service_app):
    intake, routing = await service_app("intake"), await service_app("routing")
    staff = intake.identity.state.accounts.staff
    await staff.add("andi.pratama", "officer", "sandi-andi-pratama", agency=AGENCY, name="Andi")
    await staff.add("dewi.kasat", "supervisor", "sandi-dewi-kasat-1", agency=AGENCY, name="Dewi")
    return intake, routing


def browser(desk, ip: str) -> OfficerBrowser:
    """The workbench as one browser at ``ip`` sees it (and the provider's page)."""
    intake, routing = desk
    return OfficerBrowser(routing.app, intake.identity, ip)


async def test_one_browsers_wrong_passwords_do_not_lock_the_officer_out_of_the_workbench(desk):
    attacker, officer = browser(desk, "203.0.113.66"), browser(desk, "198.51.100.20")
    answers = [await attacker.sign_in("andi.pratama", "tebakan-salah") for _ in range(8)]
    assert answers[0].status_code == 401
    assert answers[-1].status_code == 429  # the guesser is slowed down

    signed = await officer.sign_in("andi.pratama", "sandi-andi-pratama")
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/workbench/"


async def test_a_flood_through_the_workbench_does_not_spend_every_officers_share(desk):
    attacker = browser(desk, "203.0.113.67")
    flood = [await attacker.sign_in(f"bukan-{n}", "tebakan-salah") for n in range(RATE_PER_IP + 5)]
    assert flood[-1].status_code == 429  # the flooding browser reached the per-address limit
    supervisor = browser(desk, "198.51.100.21")
    signed = await supervisor.sign_in("dewi.kasat", "sandi-dewi-kasat-1")
    assert signed.status_code == 303, signed.text


async def test_intake_believes_the_browsers_address_only_when_a_peer_signed_it(desk):
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
