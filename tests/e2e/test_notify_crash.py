"""Notify as its own process, killed with SIGKILL in the middle of a batch and started
again: every status change still reaches each chosen channel exactly once."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from shared.events import encode
from shared.topics import Topics
from tests.e2e.helpers import Stores, eventually
from tests.notify_receivers import (
    MailReceiver,
    ProviderReceiver,
    channel_env,
    contacts_changed,
    status_changed,
)

APPLICATIONS = 60
CHANGES = ("routed", "received", "in_review")


@pytest.fixture
async def stores(settings):
    views = Stores(settings)
    yield views
    await views.close()


@pytest.mark.slow  # make test-slow
async def test_notify_killed_mid_batch_and_restarted_sends_each_notice_exactly_once(
    platform, settings, stores
):
    mail, provider = MailReceiver().start(), ProviderReceiver().start()
    try:
        running = platform("notify", **channel_env(mail, provider))
        topics = Topics(settings.namespace)
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for n in range(APPLICATIONS):
                citizen = f"citizen-{n:03d}"
                preference = (
                    {"channels": ["email"], "email": f"{citizen}@example.org"}
                    if n % 2
                    else {"channels": ["sms"], "phone": f"+62812000{n:05d}"}
                )
                event = contacts_changed(citizen, **preference)
                await producer.send(topics.accounts, encode(event), key=citizen.encode())
            await producer.flush()
            await eventually(
                lambda: stores.notify.contacts.count_documents({}),
                timeout=30,
                until=lambda n: n == APPLICATIONS,
            )
            for sequence, status in enumerate(CHANGES, start=1):
                for n in range(APPLICATIONS):
                    event = status_changed(f"app-{n:08d}", sequence, status, f"citizen-{n:03d}")
                    await producer.send(topics.status, encode(event), key=event.subject.encode())
            await producer.flush()
        finally:
            await producer.stop()

        total = APPLICATIONS * len(CHANGES)
        # Notices are stored a poll's worth per transaction, so the kill lands while
        # the channels are being sent: some delivered, the rest still to send.
        await eventually(
            lambda: stores.notify.deliveries.count_documents({"status": "delivered"}),
            timeout=30,
            until=lambda n: n >= 20,
            interval=0.01,
        )
        running.kill("notify")
        delivered_at_kill = await stores.notify.deliveries.count_documents({"status": "delivered"})
        assert delivered_at_kill < total, "the kill came too late to interrupt the sending"
        running.start("notify")

        await eventually(
            lambda: stores.notify.deliveries.count_documents({"status": "delivered"}),
            timeout=60,
            until=lambda n: n == total,
        )
        await asyncio.sleep(1.0)
        notices = await stores.notify.notifications.find({}, {"_id": 1}).to_list()
        assert len(notices) == total
        emails = [m["Message-ID"] for m in list(mail.messages)]
        sms = provider.references()
        assert len(set(emails)) == total // 2
        assert len(sms) == total // 2
        # A send in flight at the kill may be repeated (same Message-ID / reference, so
        # the receiving side sees one message); at most one per concurrent send.
        repeated = (len(emails) - len(set(emails))) + (sum(sms.values()) - len(sms))
        assert repeated <= settings.notify_concurrency
    finally:
        mail.stop()
        provider.stop()
