"""The push channel against the real broker and database, a Web Push service that
decrypts what browsers receive, and a stand-in of FCM: devices registered through
notify's API get the notice in the citizen's language; dead subscriptions are removed;
one citizen never sees or removes another's device."""

import asyncio

import pytest

from shared.auth import issue_token
from shared.events import encode
from shared.settings import Settings
from tests.e2e.helpers import eventually, register
from tests.notify_receivers import (
    MailReceiver,
    ProviderReceiver,
    channel_env,
    contacts_changed,
    status_changed,
)
from tests.push_receivers import FcmDouble, WebPushReceiver

PROBLEM = "application/problem+json"


@pytest.fixture
def provider():
    receiver = ProviderReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def push_service():
    receiver = WebPushReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def fcm():
    double = FcmDouble().start()
    yield double
    double.stop()


@pytest.fixture
def settings(stack_env, monkeypatch, provider, push_service, fcm) -> Settings:
    mail = MailReceiver()  # not started: no test here sends email
    env = {
        **stack_env,
        **channel_env(mail, provider),
        "MPP_PUSH_ALLOW_PRIVATE_ENDPOINTS": "true",  # the receivers are on loopback
        "MPP_FCM_CREDENTIALS": fcm.credentials(),
        "MPP_FCM_URL": fcm.url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def bearer(settings: Settings, citizen: str) -> dict[str, str]:
    token, _ = issue_token(settings, citizen, ("citizen",))
    return {"Authorization": f"Bearer {token}"}


async def publish(notify, *events) -> None:
    runtime = notify.app.state.runtime
    for event in events:
        topic = (
            runtime.topics.accounts if event.type.startswith("account") else runtime.topics.status
        )
        await runtime.broker.publish(encode(event), topic, key=event.subject.encode())


async def contacts_known(notify, *citizens: str) -> None:
    contacts = notify.app.state.runtime.db["contacts"]
    await eventually(
        lambda: contacts.count_documents({"_id": {"$in": list(citizens)}}),
        timeout=15,
        until=lambda n: n == len(citizens),
    )


async def register_browser(notify, settings, push_service, citizen: str, name: str) -> str:
    response = await notify.post(
        "/api/v1/devices",
        json={"kind": "webpush", "subscription": push_service.subscribe(name), "name": name},
        headers=bearer(settings, citizen),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_status_change_reaches_the_citizens_browser_encrypted_in_their_language(
    service_app, settings, push_service, caplog
):
    notify = await service_app("notify")
    await publish(
        notify,
        contacts_changed("ana", language="en", channels=["push", "in_app"]),
        contacts_changed("budi", language="id", channels=["push", "sms"], phone="+6281200000010"),
    )
    await contacts_known(notify, "ana", "budi")
    await register_browser(notify, settings, push_service, "ana", "ana-laptop")
    await register_browser(notify, settings, push_service, "budi", "budi-phone")

    await publish(
        notify,
        status_changed("app-ana-000001", 1, "approved", "ana"),
        status_changed("app-budi-000001", 1, "approved", "budi"),
    )
    await eventually(
        lambda: asyncio.sleep(0, [*push_service.received]), timeout=20, until=lambda r: len(r) == 2
    )

    (ana,) = push_service.to("ana-laptop")
    (budi,) = push_service.to("budi-phone")
    assert ana.notice["lang"] == "en"
    assert ana.notice["title"] == "[3576-000001] Application approved"
    assert ana.notice["body"].startswith("Application approved: Electronic identity card")
    assert budi.notice["lang"] == "id"
    assert budi.notice["title"] == "[3576-000001] Permohonan disetujui"
    assert budi.notice["body"].startswith("Permohonan disetujui: Penerbitan KTP Elektronik")
    assert ana.notice["notice"] == "app-ana-000001:1:in_app"  # the same notice in the inbox
    # Nothing else about them; the page a tap opens is the application's (absolute).
    assert set(ana.notice) == {"title", "body", "lang", "notice", "url"}
    assert ana.notice["url"].endswith("/portal/applications/app-ana-000001?lang=en")

    config = (await notify.get("/api/v1/devices/push-config")).json()
    assert ana.vapid_key == config["webpush"]["vapid_public_key"]
    assert ana.vapid_claims["sub"] == settings.vapid_subject
    assert ana.headers["ttl"] == str(settings.push_ttl_seconds)
    assert ana.headers["content-encoding"] == "aes128gcm"
    sent_headers = {k for k in ana.headers if k not in ("host", "accept", "accept-encoding")}
    assert sent_headers <= {
        "authorization",
        "content-encoding",
        "content-type",
        "content-length",
        "ttl",
        "urgency",
        "user-agent",
        "connection",
        "traceparent",
        "tracestate",
    }  # no NIK, no name, no address in any header

    db = notify.app.state.runtime.db
    await eventually(
        lambda: db["deliveries"].count_documents({"channel": "push", "status": "delivered"}),
        timeout=10,
        until=lambda n: n == 2,
    )
    assert await db["deliveries"].count_documents({"channel": "sms"}) == 0  # no fallback
    await asyncio.sleep(0.5)
    assert len(push_service.received) == 2  # once per change and channel
    assert "/push/" not in caplog.text  # an endpoint is a capability: never logged


async def test_a_subscription_answered_410_is_removed_and_the_notice_falls_back_to_sms(
    service_app, settings, push_service, provider
):
    notify = await service_app("notify")
    await publish(
        notify,
        contacts_changed("citra", channels=["push", "sms"], phone="+6281200000011"),
    )
    await contacts_known(notify, "citra")
    await register_browser(notify, settings, push_service, "citra", "citra-old-browser")
    push_service.gone.add("citra-old-browser")  # the browser dropped its subscription

    await publish(notify, status_changed("app-citra-0001", 1, "received", "citra"))

    sms = await eventually(
        lambda: asyncio.sleep(0, provider.accepted_for("sms", "+6281200000011")),
        timeout=20,
        until=lambda sent: len(sent) == 1,
    )
    assert sms[0]["body"].startswith("Permohonan diterima instansi")
    assert push_service.refused == [("citra-old-browser", 410)]
    listed = await notify.get("/api/v1/devices", headers=bearer(settings, "citra"))
    assert listed.json()["items"] == []
    db = notify.app.state.runtime.db
    assert await db["devices"].count_documents({"citizen_id": "citra"}) == 0
    push = await db["deliveries"].find_one({"_id": "app-citra-0001:1:push"})
    assert push["status"] == "permanent-failure"
    assert push["last_error"] == "no device took it: 1 gone, 0 refused"

    # With no device left, push is skipped like a channel without an address.
    await publish(notify, status_changed("app-citra-0001", 2, "approved", "citra"))
    await eventually(
        lambda: asyncio.sleep(0, provider.accepted_for("sms", "+6281200000011")),
        timeout=20,
        until=lambda sent: len(sent) == 2,
    )
    assert await db["deliveries"].find_one({"_id": "app-citra-0001:2:push"}) is None
    assert push_service.refused == [("citra-old-browser", 410)]


async def test_a_citizen_registers_lists_and_removes_only_their_own_devices(
    service_app, settings, push_service
):
    notify = await service_app("notify")
    ana, budi = bearer(settings, "ana"), bearer(settings, "budi")
    subscription = push_service.subscribe("ana-phone")
    body = {"kind": "webpush", "subscription": subscription, "name": "Ana's phone"}

    first = await notify.post("/api/v1/devices", json=body, headers=ana)
    again = await notify.post("/api/v1/devices", json=body, headers=ana)
    assert (first.status_code, again.status_code) == (201, 200)
    device = first.json()
    assert again.json()["id"] == device["id"]  # the same subscription is one device
    assert set(device) == {"id", "kind", "name", "created_at", "last_push_at"}

    mine = (await notify.get("/api/v1/devices", headers=ana)).json()["items"]
    assert [d["id"] for d in mine] == [device["id"]]
    assert "subscription" not in mine[0]

    theirs = await notify.get("/api/v1/devices", headers=budi)
    assert theirs.json()["items"] == []
    stolen = await notify.delete(f"/api/v1/devices/{device['id']}", headers=budi)
    assert stolen.status_code == 404
    assert stolen.headers["content-type"] == PROBLEM
    still = (await notify.get("/api/v1/devices", headers=ana)).json()["items"]
    assert [d["id"] for d in still] == [device["id"]]

    for anonymous in (
        await notify.get("/api/v1/devices"),
        await notify.post("/api/v1/devices", json=body),
        await notify.delete(f"/api/v1/devices/{device['id']}"),
    ):
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == PROBLEM
    officer, _ = issue_token(settings, "officer-1", ("officer",), agency="disdukcapil-3576")
    staff = await notify.get("/api/v1/devices", headers={"Authorization": f"Bearer {officer}"})
    assert staff.status_code == 403

    broken = {**subscription, "keys": {"p256dh": "not-a-key", "auth": "c2hvcnQ"}}
    refused = await notify.post(
        "/api/v1/devices", json={"kind": "webpush", "subscription": broken}, headers=budi
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM

    removed = await notify.delete(f"/api/v1/devices/{device['id']}", headers=ana)
    assert removed.status_code == 204
    assert (await notify.get("/api/v1/devices", headers=ana)).json()["items"] == []
    gone = await notify.delete(f"/api/v1/devices/{device['id']}", headers=ana)
    assert gone.status_code == 404


async def test_native_app_push_goes_through_fcm_and_an_unregistered_token_is_removed(
    service_app, settings, fcm
):
    notify = await service_app("notify")
    await publish(notify, contacts_changed("dewi", language="en", channels=["push"]))
    await contacts_known(notify, "dewi")
    dewi = bearer(settings, "dewi")
    config = (await notify.get("/api/v1/devices/push-config")).json()
    assert config["fcm"] == {"enabled": True}
    for token, name in (("token-pixel", "Pixel 8"), ("token-old-phone", "old phone")):
        response = await notify.post(
            "/api/v1/devices", json={"kind": "fcm", "token": token, "name": name}, headers=dewi
        )
        assert response.status_code == 201, response.text
    fcm.unregistered.add("token-old-phone")  # the app was uninstalled there

    await publish(notify, status_changed("app-dewi-000001", 1, "needs_info", "dewi"))

    (message,) = await eventually(
        lambda: asyncio.sleep(0, [*fcm.messages]), timeout=20, until=lambda m: len(m) == 1
    )
    assert message["token"] == "token-pixel"
    assert message["notification"]["title"].startswith("[3576-000001]")
    assert "information" in message["notification"]["body"].lower()
    assert message["data"] == {
        "notice": "app-dewi-000001:1:in_app",
        "lang": "en",
        "url": f"http://127.0.0.1:{Settings().intake_port}/portal/applications/app-dewi-000001?lang=en",
    }
    assert len(fcm.access_tokens) == 1  # one OAuth exchange, kept for the sends that follow
    devices = await eventually(
        lambda: notify.get("/api/v1/devices", headers=dewi),
        timeout=10,
        until=lambda r: len(r.json()["items"]) == 1,
    )
    assert devices.json()["items"][0]["name"] == "Pixel 8"
    assert devices.json()["items"][0]["last_push_at"] is not None
    deliveries = notify.app.state.runtime.db["deliveries"]
    await eventually(
        lambda: deliveries.find_one({"_id": "app-dewi-000001:1:push"}),
        timeout=10,
        until=lambda d: d["status"] == "delivered",
    )


async def test_push_chosen_in_the_profile_reaches_a_browser_registered_with_the_same_token(
    service_app, settings, push_service
):
    """The whole way: the citizen picks push in intake's profile, registers a browser
    with notify using the token intake issued, and a status change arrives there."""
    intake = await service_app("intake")
    notify = await service_app("notify")
    citizen = await register(intake)
    changed = await intake.patch(
        "/api/v1/me",
        json={"language": "en", "notification_channels": ["push", "in_app"]},
        headers=citizen.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["notification_channels"] == ["push", "in_app"]
    contacts = notify.app.state.runtime.db["contacts"]
    await eventually(
        lambda: contacts.find_one({"_id": citizen.id}),
        timeout=20,
        until=lambda c: c is not None and c["channels"] == ["push", "in_app"],
    )
    registered = await notify.post(
        "/api/v1/devices",
        json={"kind": "webpush", "subscription": push_service.subscribe("browser")},
        headers=citizen.headers,
    )
    assert registered.status_code == 201, registered.text

    await publish(notify, status_changed("app-prof-00001", 1, "in_review", citizen.id))

    (push,) = await eventually(
        lambda: asyncio.sleep(0, push_service.to("browser")), timeout=20, until=len
    )
    assert push.notice["lang"] == "en"
    assert "review" in push.notice["title"].lower()
    assert citizen.nik not in str(push.headers) + str(push.notice)
