"""The slow fault scenarios (``make test-faults`` only): consumers killed again and again
under load, and the broker frozen for 20 s under load. Each ends when every stage holds
every accepted application exactly once — accepted = routed = delivered = notified =
audited — or fails with the stage that lost or duplicated something."""

import asyncio
import os
import shutil
import time
from contextlib import suppress

import pytest

from ops.localstack import LocalStack, free_port
from ops.soak import Load, count_stages, start_platform, wait_for_drain
from shared.settings import Settings
from tests.conftest import ARTIFACTS
from tests.faults.conftest import Accounting, account, platform_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RATE = float(os.environ.get("MPP_FAULTS_RATE", "50"))
DRAIN_SECONDS = 300


def settle(scenario: str, load: Load, counts: list, drained_in: float | None, started: float):
    by_stage = {stage.stage: stage for stage in counts}
    lost = sum(stage.lost for stage in counts)
    duplicates = sum(stage.duplicates for stage in counts)
    account(
        Accounting(
            scenario,
            sent=len(load.accepted) + len(load.failed),
            out=by_stage["audited"].found,
            duplicates=duplicates,
            lost=lost,
            seconds=time.monotonic() - started,
            note=" ".join(f"{s.stage.replace(' ', '_')}={s.found}" for s in counts)
            + f" refused={len(load.failed)} client_retries={load.retries}"
            + f" drained_in={drained_in if drained_in is None else round(drained_in, 1)}s",
        )
    )
    assert load.failed == []
    assert drained_in is not None, [stage.line() for stage in counts]
    assert duplicates == 0, [stage.line() for stage in counts]


async def test_consumers_killed_every_few_seconds_under_load_lose_and_repeat_nothing(platform):
    running = platform()
    load = Load(
        running.url("intake"),
        Settings(mongo_uri=running.env["MPP_MONGO_URI"], namespace=running.env["MPP_NAMESPACE"]),
        identity_url=running.url("identity"),
    )
    started = time.monotonic()
    kills: list[str] = []

    async def killer() -> None:
        for victim in ("routing", "notify", "audit", "routing", "notify", "audit"):
            await asyncio.sleep(3)
            running.kill(victim)
            kills.append(victim)
            await asyncio.to_thread(running.start, victim)

    chaos = asyncio.create_task(killer())
    answered_in = await load.run(RATE, 30)
    with suppress(asyncio.CancelledError):
        await chaos
    ids = list(load.accepted.values())
    counts, drained_in = await wait_for_drain(
        lambda: count_stages(running.env["MPP_MONGO_URI"], running.env["MPP_NAMESPACE"], ids),
        DRAIN_SECONDS,
    )
    scenario = f"2 SIGKILL {len(kills)}x routing/notify/audit at {RATE:g}/s"
    settle(f"{scenario} (all answered in {answered_in:.0f}s)", load, counts, drained_in, started)


async def test_the_broker_frozen_20_s_under_load_delays_but_loses_nothing(tmp_path):
    log_dir = ARTIFACTS / "test-logs" / "faults-broker-frozen"
    shutil.rmtree(log_dir, ignore_errors=True)
    local = LocalStack(
        kafka_port=free_port(),
        mongo_port=free_port(),
        data_dir=tmp_path,
        log_dir=log_dir,
        fresh_database=True,
    )
    await asyncio.to_thread(local.start)
    env = platform_env(local, MPP_LOCAL_DIR=str(tmp_path))
    processes = {}
    try:
        processes = await asyncio.to_thread(start_platform, env, log_dir)
        load = Load(
            processes["intake"].url,
            Settings(mongo_uri=env["MPP_MONGO_URI"], namespace=env["MPP_NAMESPACE"]),
            identity_url=processes["identity"].url,
        )
        started = time.monotonic()

        async def outage() -> None:
            await asyncio.sleep(10)
            local.pause("kafka")
            await asyncio.sleep(20)
            local.resume("kafka")

        cut = asyncio.create_task(outage())
        await load.run(min(RATE, 20), 40)
        await cut
        ids = list(load.accepted.values())
        counts, drained_in = await wait_for_drain(
            lambda: count_stages(local.mongo_uri, env["MPP_NAMESPACE"], ids), DRAIN_SECONDS
        )
    finally:
        for process in processes.values():
            process.stop()
        await asyncio.to_thread(local.stop)
    settle(f"3 broker frozen 20 s at {min(RATE, 20):g}/s", load, counts, drained_in, started)
