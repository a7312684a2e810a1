"""Three replicas each of intake, routing and notify (``make test-faults`` only), under
load, their outbox relays' lease holders killed with SIGKILL and restarted.

Submissions are spread over the intake replicas; the demo agency reports each
application received; an agency back office then moves it to in_review, approved and
completed over the agency API, each step through another routing replica, so one
application's status changes are committed by different processes milliseconds apart.
Meanwhile the replica holding each service's relay lease is killed, twice per service,
and a routing replica that does not hold it once.

It ends when every application is completed and then checks, per application: its
five status changes reached intake (its timeline), notify (a notice for each, announced
in order) and audit in sequence order, none lost; and on the topics, each event was
published once, apart from copies published again by the replica that took over from
a killed holder. The accounting line gives the take-over times and the duplicates.
"""

import asyncio
import os
import time
from collections import Counter

import orjson
import pytest

from ops.soak import Load
from services.routing.keys import ApiKeys
from shared.outbox_lease import LEASE_ID
from shared.settings import Settings
from shared.topics import Topics
from tests.e2e.helpers import Stores
from tests.faults.conftest import Accounting, account
from tests.faults.replicas_support import (
    BackOffice,
    Copy,
    LeaseKiller,
    first_order,
    read_everything,
    repeats,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

RATE = float(os.environ.get("MPP_REPLICAS_RATE", "5"))
SECONDS = 40
REPLICATED = ("intake", "routing", "notify")
KILLS = [  # (service, the lease holder?) every few seconds while the load runs
    ("routing", True),
    ("notify", True),
    ("intake", True),
    ("routing", False),
    ("routing", True),
    ("notify", True),
    ("intake", True),
]
STATUSES = 5  # routed, received, in_review, approved, completed
DRAIN_SECONDS = 180


def in_app_notice(copy: Copy) -> int | None:
    """The status sequence an in-app notice announces (None: another kind of event)."""
    data = copy.event.get("data", {})
    if data.get("channel") != "in_app" or not data.get("status_sequence"):
        return None
    return int(data["status_sequence"])


def replicas(service: str) -> list[str]:
    return [service, f"{service}-2", f"{service}-3"]


async def stages(stores: Stores) -> dict[str, int]:
    """Applications through every status, at each stage."""
    return {
        "routing completed": await stores.routing.applications.count_documents(
            {"status": "completed"}
        ),
        "intake timelines complete": await stores.intake.applications.count_documents(
            {"last_sequence": STATUSES}
        ),
        "notify notices / statuses": await stores.notify.notifications.count_documents(
            {"status_sequence": {"$gte": 1}}
        )
        // STATUSES,
        "audit status changes / statuses": await stores.audit.records.count_documents(
            {"type": "application.status_changed"}
        )
        // STATUSES,
    }


async def drained(stores: Stores, accepted: int) -> bool:
    return all(count >= accepted for count in (await stages(stores)).values())


async def test_three_replicas_each_killed_under_load_keep_every_application_in_order(
    platform,
):
    started = time.monotonic()
    names = [name for service in REPLICATED for name in replicas(service)]
    running = platform(*names, "audit", "agency")
    settings = Settings(
        mongo_uri=running.env["MPP_MONGO_URI"],
        namespace=running.env["MPP_NAMESPACE"],
        kafka_bootstrap=running.env["MPP_KAFKA_BOOTSTRAP"],
    )
    stores = Stores(settings)
    try:
        key = (await ApiKeys(stores.routing).issue("disdukcapil-3576")).token
        load = Load(
            running.url("intake"),
            settings,
            citizens=10,
            replicas=[running.url(name) for name in replicas("intake")],
            identity_url=running.url("identity"),
        )
        office = BackOffice([running.url(name) for name in replicas("routing")], key)
        killer = LeaseKiller(
            running, {"intake": stores.intake, "routing": stores.routing, "notify": stores.notify}
        )
        loaded = asyncio.Event()

        async def chaos() -> None:
            await asyncio.sleep(4)
            for service, holder in KILLS:
                await killer.kill(service, holder)
                await asyncio.sleep(3)
            await killer.settle()

        async def send() -> None:
            await load.run(RATE, SECONDS)
            loaded.set()

        driving = asyncio.create_task(office.run(stores.routing, until=loaded.is_set))
        await asyncio.gather(send(), chaos())
        await asyncio.wait_for(driving, DRAIN_SECONDS)
        ids = set(load.accepted.values())
        drain_began = time.monotonic()
        while not await drained(stores, len(ids)):
            if time.monotonic() - drain_began > DRAIN_SECONDS:
                pytest.fail(f"not drained in time: {len(ids)} accepted, {await stages(stores)}")
            await asyncio.sleep(1)

        topics = Topics(settings.namespace)
        bootstrap = settings.kafka_bootstrap
        status = await read_everything(bootstrap, topics.status)
        notices = await read_everything(bootstrap, topics.notifications)
        submitted = await read_everything(bootstrap, topics.submitted)
        inbox = await read_everything(bootstrap, topics.agency_inbox("disdukcapil-3576"))
        timelines = {
            a["_id"]: [entry["sequence"] for entry in a["timeline"]]
            for a in await stores.intake.applications.find({}, {"timeline": 1}).to_list(None)
        }
        tokens = {
            service: (await db["outbox_lease"].find_one({"_id": LEASE_ID}))["token"]
            for service, db in killer.databases.items()
        }
        audited: dict[str, list[int]] = {}
        records = stores.audit.records.find({"type": "application.status_changed"}, {"event": 1})
        async for record in records.sort("_id", 1):
            event = orjson.loads(record["event"])
            audited.setdefault(event["subject"], []).append(event["data"]["sequence"])
    finally:
        await stores.close()

    in_order = list(range(1, STATUSES + 1))
    published = first_order(status, lambda c: c.event["data"]["sequence"])
    announced = first_order(notices, in_app_notice)
    out_of_order = {
        "status topic": [a for a in ids if published.get(a) != in_order],
        "intake timeline": [a for a in ids if timelines.get(a) != [0, *in_order]],
        "notify notices": [a for a in ids if announced.get(a) != in_order],
        "audit log": [a for a in ids if audited.get(a) != in_order],
    }
    producers = {"intake": [submitted], "routing": [status, inbox], "notify": [notices]}
    duplicates: dict[str, int] = {}
    unexplained: list[str] = []
    for service, streams in producers.items():
        kills = killer.times(service)
        for copies in streams:
            for event_id, stamps in repeats(copies).items():
                duplicates[service] = duplicates.get(service, 0) + len(stamps) - 1
                # A copy again after a kill: the next holder republished what the dead
                # one published and had not yet deleted.
                if not any(stamps[0] - 0.5 <= at <= stamps[-1] for at in kills):
                    unexplained.append(f"{service}: {event_id} at {stamps}")
    takeovers = [k for k in killer.kills if k.holder]
    # Each lease starts at token 1 and every take-over adds one: any beyond the kills
    # are holders that lost the lease while alive (too slow to renew).
    unforced = sum(tokens[s] - 1 - len(killer.times(s)) for s in tokens)
    taken = [k.takeover_seconds for k in takeovers if k.takeover_seconds is not None]
    lost = len(ids) * STATUSES - sum(len(set(published.get(a, []))) for a in ids)
    account(
        Accounting(
            f"8 three replicas of intake/routing/notify, {len(killer.kills)} SIGKILL "
            f"({len(takeovers)} lease holders) at {RATE:g}/s",
            sent=len(load.accepted) + len(load.failed),
            out=sum(1 for a in ids if audited.get(a) == in_order),
            duplicates=sum(duplicates.values()),
            lost=lost,
            seconds=time.monotonic() - started,
            note=f"takeover_s={','.join(f'{t:.1f}' for t in taken)} "
            f"duplicates_by_service={dict(sorted(duplicates.items()))} "
            f"out_of_order={ {k: len(v) for k, v in out_of_order.items()} } "
            f"takeovers_without_a_kill={unforced} status_changes={len(ids) * STATUSES} "
            f"client_retries={load.retries}+{office.retries}",
        )
    )
    assert load.failed == []
    assert office.failures == []
    assert len(taken) == len(takeovers), killer.kills
    assert {k: v[:5] for k, v in out_of_order.items() if v} == {}
    assert lost == 0
    assert unexplained == []
    assert Counter(c.subject for c in submitted if c.subject in ids).keys() == ids
