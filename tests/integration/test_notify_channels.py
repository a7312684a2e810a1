"""Notify against the real broker and database, a real SMTP server and a real HTTP
provider: the notices a citizen receives on the channels they chose."""

import asyncio

import pytest

from shared.events import (
    DeliveryFailureData,
    EscalationData,
    SlaBreached,
    WebhookDeliveryFailed,
    encode,
    utcnow,
)
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.notify_receivers import (
    LIFE,
    MailReceiver,
    ProviderReceiver,
    channel_env,
    contacts_changed,
    life_of,
    status_changed,
)


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
def extra_env() -> dict[str, str]:
    return {}


@pytest.fixture
def settings(stack_env, monkeypatch, mail, provider, extra_env) -> Settings:
    for key, value in {**stack_env, **channel_env(mail, provider), **extra_env}.items():
        monkeypatch.setenv(key, value)
    return Settings()


async def publish(notify, events) -> None:
    runtime = notify.app.state.runtime
    for event in events:
        topic = (
            runtime.topics.accounts if event.type.startswith("account") else runtime.topics.status
        )
        await runtime.broker.publish(encode(event), topic, key=event.subject.encode())


async def set_contacts(notify, *events) -> None:
    await publish(notify, events)
    contacts = notify.app.state.runtime.db["contacts"]
    await eventually(
        lambda: contacts.count_documents({}), timeout=15, until=lambda n: n >= len(events)
    )


async def _read_to(consumer, ends: dict) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


async def notification_events(notify, application: str) -> list[tuple[str, str]]:
    """(channel, status) of every delivery event notify has published so far."""
    from aiokafka import AIOKafkaConsumer

    runtime = notify.app.state.runtime
    consumer = AIOKafkaConsumer(
        runtime.topics.notifications,
        bootstrap_servers=runtime.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        import orjson

        found, ends, deadline = [], None, asyncio.get_running_loop().time() + 5
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == application.encode():
                        data = orjson.loads(record.value)["data"]
                        found.append((data["channel"], data["status"]))
            if ends is None and consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
            if ends is not None and await _read_to(consumer, ends):
                break
        return found
    finally:
        await consumer.stop()


async def test_each_status_change_reaches_each_chosen_channel_once_in_the_citizens_language(
    service_app, mail, provider
):
    notify = await service_app("notify")
    await set_contacts(
        notify,
        contacts_changed(
            "ana", language="en", channels=["email", "in_app"], email="ana@example.org"
        ),
        contacts_changed("budi", channels=["whatsapp", "sms"], phone="+6281200000001"),
    )
    lives = life_of("app-ana-000001", "ana") + life_of("app-budi-00001", "budi")
    await publish(notify, lives)
    await publish(notify, lives)  # every change delivered twice, as after a rebalance

    db = notify.app.state.runtime.db
    await eventually(
        lambda: db["deliveries"].count_documents({"status": "delivered"}),
        timeout=30,
        until=lambda n: n == 2 * len(LIFE),
    )
    await asyncio.sleep(1.0)  # room for any duplicate to show up

    ana_mail = mail.to("ana@example.org")
    assert len(ana_mail) == len(LIFE)
    assert len({m["Message-ID"] for m in ana_mail}) == len(LIFE)
    assert all(m["Content-Language"] == "en" for m in ana_mail)
    first = ana_mail[0]
    assert first["Subject"] == "[3576-000001] Application passed on"
    assert "Electronic ID card" in first.get_body(("plain",)).get_content() or "KTP" in (
        first.get_body(("plain",)).get_content()
    )
    assert "<h1>" in first.get_body(("html",)).get_content()
    budi_whatsapp = provider.accepted_for("whatsapp", "+6281200000001")
    assert len(budi_whatsapp) == len(LIFE)
    assert provider.accepted_for("sms", "+6281200000001") == []
    assert budi_whatsapp[0]["body"].startswith("Permohonan diteruskan")
    assert "SKM" in budi_whatsapp[-1]["body"]

    inbox = db["notifications"]
    assert await inbox.count_documents({"citizen_id": "ana"}) == len(LIFE)
    assert await inbox.count_documents({"citizen_id": "budi"}) == len(LIFE)
    assert await inbox.count_documents({"citizen_id": "ana", "language": "en"}) == len(LIFE)
    assert await inbox.count_documents({"citizen_id": "budi", "language": "id"}) == len(LIFE)


async def test_a_permanent_failure_falls_back_to_the_citizens_next_channel(
    service_app, mail, provider
):
    mail.refuse.add("gone@example.org")
    provider.reject.add(("whatsapp", "+6281200000002"))
    notify = await service_app("notify")
    await set_contacts(
        notify,
        contacts_changed("citra", channels=["whatsapp", "sms"], phone="+6281200000002"),
        contacts_changed(
            "dewi", channels=["email", "sms"], email="gone@example.org", phone="+6281200000003"
        ),
    )
    await publish(
        notify,
        [
            status_changed("app-citra-0001", 1, "received", "citra"),
            status_changed("app-dewi-00001", 1, "received", "dewi"),
        ],
    )

    await eventually(
        lambda: asyncio.sleep(0, [*provider.accepted]), timeout=20, until=lambda a: len(a) == 2
    )
    assert len(provider.accepted_for("sms", "+6281200000002")) == 1
    assert len(provider.accepted_for("sms", "+6281200000003")) == 1
    assert mail.to("gone@example.org") == []
    expected = [
        ("in_app", "delivered"),
        ("whatsapp", "created"),
        ("whatsapp", "sending"),
        ("whatsapp", "permanent-failure"),
        ("sms", "created"),
        ("sms", "sending"),
        ("sms", "delivered"),
    ]
    events = await eventually(
        lambda: notification_events(notify, "app-citra-0001"),
        timeout=10,
        until=lambda found: len(found) >= len(expected),
    )
    assert events == expected


@pytest.mark.parametrize("extra_env", [{"MPP_NOTIFY_RETRY_ATTEMPTS": "3"}])
async def test_a_temporary_failure_is_retried_until_delivered_or_the_budget_is_spent(
    service_app, provider
):
    provider.script[("sms", "+6281200000004")] = [503, 429]
    provider.script[("sms", "+6281200000005")] = [503, 503, 503, 503]
    notify = await service_app("notify")
    await set_contacts(
        notify,
        contacts_changed("eko", channels=["sms"], phone="+6281200000004"),
        contacts_changed("fajar", channels=["sms"], phone="+6281200000005"),
    )
    await publish(
        notify,
        [
            status_changed("app-eko-000001", 1, "approved", "eko"),
            status_changed("app-fajar-0001", 1, "approved", "fajar"),
        ],
    )

    deliveries = notify.app.state.runtime.db["deliveries"]
    finished = await eventually(
        lambda: deliveries.find({"status": {"$in": ["delivered", "technical-failure"]}}).to_list(),
        timeout=20,
        until=lambda found: len(found) == 2,
    )
    outcome = {d["citizen_id"]: (d["status"], d["attempts"]) for d in finished}
    assert outcome == {"eko": ("delivered", 3), "fajar": ("technical-failure", 3)}
    assert len(provider.accepted_for("sms", "+6281200000004")) == 1
    assert provider.accepted_for("sms", "+6281200000005") == []
    expected = ["created", *(["sending", "temporary-failure"] * 2), "sending", "technical-failure"]
    events = await eventually(
        lambda: notification_events(notify, "app-fajar-0001"),
        timeout=10,
        until=lambda found: len(found) >= len(expected),
    )
    assert [status for channel, status in events if channel == "sms"] == expected


@pytest.mark.parametrize(
    "extra_env",
    [{"MPP_NOTIFY_RATE_PER_RECIPIENT": "2", "MPP_NOTIFY_RATE_WINDOW_SECONDS": "2"}],
)
async def test_the_rate_limit_delays_a_recipients_excess_notices_and_drops_none(
    service_app, provider
):
    notify = await service_app("notify")
    await set_contacts(notify, contacts_changed("gita", channels=["sms"], phone="+6281200000006"))
    await publish(notify, life_of("app-gita-00001", "gita")[:6])

    await eventually(
        lambda: asyncio.sleep(0, provider.accepted_for("sms", "+6281200000006")),
        timeout=30,
        until=lambda sent: len(sent) == 6,
    )
    received = [m["body"].splitlines()[0] for m in provider.accepted_for("sms", "+6281200000006")]
    assert [line.split(":")[0] for line in received] == [
        "Permohonan diteruskan",
        "Permohonan diterima instansi",
        "Permohonan sedang diperiksa",
        "Data tambahan diperlukan",
        "Data tambahan diterima",
        "Permohonan sedang diperiksa",
    ]  # all six, in the order they happened
    counters = await notify.app.state.runtime.db["rate_windows"].find().to_list()
    assert len(counters) >= 3  # six sends at two per window need at least three windows


async def test_sla_breaches_and_failed_webhook_deliveries_reach_the_agencys_supervisor_once(
    service_app, mail
):
    notify = await service_app("notify")
    breach = SlaBreached(
        source="routing",
        subject="app-late-00001",
        region="3576",
        correlation_id="corr-late",
        data=EscalationData(
            application_id="app-late-00001",
            tracking_number="3576-LATE01",
            service="ktp-el",
            region="3576",
            agency="disdukcapil-3576",
            status="in_review",
            sla_due_at=utcnow(),
            escalate_to=[],  # none named: the catalogue's supervisor is told
            reason="SLA 14 hari kerja terlewati / 14 working days passed",
        ),
    )
    failed = WebhookDeliveryFailed(
        source="routing",
        subject="app-hook-00001",
        region="3514",
        correlation_id="corr-hook",
        data=DeliveryFailureData(
            application_id="app-hook-00001",
            tracking_number="3514-HOOK01",
            service="nib",
            region="3514",
            agency="dpmptsp-3514",
            status="delivery_failed",
            escalate_to=["kepala.dpmptsp@pasuruankab.example.go.id", "ops@mpp.example.org"],
            reason="webhook delivery failed",
            delivery_id="delivery-1",
            endpoint_host="perizinan.pasuruankab.example.go.id",
            attempts=6,
            last_error="HTTP 503",
        ),
    )
    runtime = notify.app.state.runtime
    for event in (breach, failed, breach, failed):  # each delivered twice
        await runtime.broker.publish(
            encode(event), runtime.topics.escalations, key=event.subject.encode()
        )

    await eventually(
        lambda: asyncio.sleep(0, [*mail.messages]), timeout=20, until=lambda m: len(m) >= 3
    )
    await asyncio.sleep(1.0)  # room for any duplicate to show up
    assert sorted(m["To"] for m in mail.messages) == [
        "kepala.disdukcapil@mojokertokota.example.go.id",
        "kepala.dpmptsp@pasuruankab.example.go.id",
        "ops@mpp.example.org",
    ]
    (late,) = mail.to("kepala.disdukcapil@mojokertokota.example.go.id")
    assert late["Subject"] == "[MPP Digital] Melewati batas SLA / SLA breached: 3576-LATE01"
    text = late.get_body(("plain",)).get_content()
    assert "Batas SLA / SLA due:" in text
    assert "14 working days passed" in text
    (hook,) = mail.to("kepala.dpmptsp@pasuruankab.example.go.id")
    assert "Pengiriman ke sistem instansi gagal" in hook["Subject"]
    assert "perizinan.pasuruankab.example.go.id: 6 percobaan / attempts; HTTP 503" in (
        hook.get_body(("plain",)).get_content()
    )
    operator = await runtime.db["deliveries"].find({"kind": "operator"}).to_list()
    assert sorted(d["status"] for d in operator) == ["delivered"] * 3
