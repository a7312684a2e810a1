"""Notices lead somewhere, against the real broker and database, a real SMTP server and a
real messaging provider: each email and SMS carries the absolute link to its
application's page at the portal, and a completion notice the absolute link to the
survey page, which opens signed out by the link alone, shows the survey form and takes
one answer."""

import asyncio
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from services.notify.links import survey_link_token
from shared.events import encode
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.notify_receivers import (
    MailReceiver,
    ProviderReceiver,
    channel_env,
    contacts_changed,
    status_changed,
)

PORTAL = "https://mpp.example.go.id"
APPLICATION = "0193a1b2c3d4e5f60718293a4b5c6d7e"
CITIZEN = "c-makassar"


@pytest.fixture
def mail():
    receiver = MailReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def provider():
    receiver = ProviderReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(stack_env, monkeypatch, mail, provider) -> Settings:
    env = {**stack_env, **channel_env(mail, provider), "MPP_PORTAL_URL": PORTAL}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


async def publish(notify, *events) -> None:
    runtime = notify.app.state.runtime
    for event in events:
        topic = (
            runtime.topics.accounts if event.type.startswith("account") else runtime.topics.status
        )
        await runtime.broker.publish(encode(event), topic, key=event.subject.encode())


def makassar(sequence: int, status: str):
    """A change of a Makassar (WITA) application, at 03:18 UTC."""
    event = status_changed(APPLICATION, sequence, status, CITIZEN, region="7371")
    return event.model_copy(update={"time": datetime(2026, 12, 7, 3, 18, tzinfo=UTC)})


async def test_email_and_sms_notices_carry_absolute_links_and_the_survey_opens_signed_out(
    service_app, mail, provider
):
    notify = await service_app("notify")
    await publish(
        notify,
        contacts_changed(
            CITIZEN, channels=["email", "sms"], email="ani@example.org", phone="+6281200000042"
        ),
    )
    contacts = notify.app.state.runtime.db["contacts"]
    await eventually(lambda: contacts.count_documents({}), timeout=15, until=lambda n: n == 1)
    await publish(notify, makassar(1, "received"), makassar(2, "approved"))
    await eventually(lambda: asyncio.sleep(0, mail.to("ani@example.org")), timeout=30, until=len)

    received = mail.to("ani@example.org")[0].get_body(("plain",)).get_content()
    page = f"{PORTAL}/portal/applications/{APPLICATION}"
    assert f"Lihat permohonan Anda: {page}" in received
    assert "Senin, 7 Desember 2026 pukul 11.18 WITA" in received  # Makassar's zone
    assert "/api/v1/" not in received

    # The citizen turns to SMS only; the completion reaches that channel.
    await publish(
        notify, contacts_changed(CITIZEN, version=2, channels=["sms"], phone="+6281200000042")
    )
    await eventually(
        lambda: contacts.find_one({"_id": CITIZEN}),
        timeout=15,
        until=lambda found: found is not None and found.get("profile_version") == 2,
    )
    await publish(notify, makassar(3, "completed"))

    async def completion_sms() -> list[str]:  # earlier notices went by SMS too
        sent = provider.accepted_for("sms", "+6281200000042")
        return [m["body"] for m in sent if "/surveys/" in m["body"]]

    [sms] = await eventually(completion_sms, timeout=30, until=len)
    assert page in sms
    survey_link = re.search(rf"{re.escape(PORTAL)}/surveys/\S+", sms)
    assert survey_link is not None, sms
    link = urlsplit(survey_link.group(0))
    assert link.path == f"/surveys/{APPLICATION}"
    assert link.query.startswith("t=")

    # Signed out (no session cookie), the link opens the survey page: the proxy sends
    # /surveys/ to notify. The token leaves the address at once.
    opened = await notify.get(f"{link.path}?{link.query}")
    assert opened.status_code == 303
    assert opened.headers["location"] == link.path
    assert "mpp_session" not in notify.cookies
    form = await notify.get(link.path)
    assert form.status_code == 200, form.text
    assert "Survei Kepuasan Masyarakat" in form.text
    assert 'name="u9"' in form.text

    answer = {f"u{i}": "4" for i in range(1, 10)} | {"csrf": notify.cookies["mpp_csrf"]}
    sent = await notify.post(link.path, data=answer)
    assert sent.status_code == 303
    thanks = await notify.get(sent.headers["location"])
    assert "Terima kasih atas penilaian Anda." in thanks.text
    ikm = (await notify.get("/api/v1/ikm", params={"group_by": "region"})).json()["items"]
    assert [(row["region"], row["respondents"]) for row in ikm] == [("7371", 1)]
    again = await notify.post(link.path, data=answer)  # one answer per application
    assert again.status_code == 303
    ikm = (await notify.get("/api/v1/ikm", params={"group_by": "region"})).json()["items"]
    assert ikm[0]["respondents"] == 1


async def test_a_survey_link_for_one_application_opens_no_other(service_app):
    notify = await service_app("notify")
    good = await notify.get(f"/surveys/{APPLICATION}?t={'0' * 64}")
    assert good.status_code == 303
    refused = await notify.get(f"/surveys/{APPLICATION}")
    assert refused.status_code == 404
    api = await notify.get(f"/api/v1/surveys/{APPLICATION}", headers={"Survey-Token": "0" * 64})
    assert api.status_code == 403
    assert "Survey link not valid" in api.json()["title"]
    # A genuine link of one application opens no other one's survey.
    theirs = survey_link_token(Settings().survey_token_secret, APPLICATION)
    other = await notify.post(
        "/api/v1/surveys/0193a1b2c3d4e5f60718293a4b5c6d7f",
        json={f"u{i}": 4 for i in range(1, 10)},
        headers={"Survey-Token": theirs},
    )
    assert other.status_code == 403
