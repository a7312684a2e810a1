"""What an operator's scraper reads at /metrics moves when the fleet does.

Services run in-process against the real broker and database: a paused consumer's lag
grows as records arrive and falls once it reads them, records it cannot use are
counted as dead letters, and events staged while the outbox relay is stopped show as a
backlog that ages until a relay publishes them.
"""

import asyncio
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.outbox import Outbox
from tests.e2e.helpers import eventually, register, submit


async def scrape(client) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


async def until_ready(client) -> None:
    await eventually(lambda: client.get("/readyz"), timeout=30, until=lambda r: r.is_success)


async def test_consumer_lag_rises_while_a_consumer_is_paused_and_falls_once_it_reads(
    service_app,
):
    routing = await service_app("routing")
    await until_ready(routing)
    runtime = routing.app.state.runtime
    topic, group = runtime.topics.submitted, runtime.groups.routing_submissions
    consumer = next(s.consumer for s in runtime.broker.subscribers if s.group_id == group)

    before = await scrape(routing)
    assert total(before, "mpp_consumer_lag", group=group, topic=topic) == 0
    dead_before = total(before, "mpp_dead_letters_total", topic=topic, reason="invalid")

    consumer.pause(*consumer.assignment())
    for number in range(5):
        await runtime.broker.publish(b"not an event", topic, key=f"lag-{number}".encode())

    async def lag() -> float:
        return total(await scrape(routing), "mpp_consumer_lag", group=group, topic=topic)

    assert await eventually(lag, timeout=15, until=lambda value: value == 5) == 5
    still = await scrape(routing)
    assert total(still, "mpp_dead_letters_total", topic=topic, reason="invalid") == dead_before

    consumer.resume(*consumer.assignment())
    await eventually(lag, timeout=15, until=lambda value: value == 0)
    after = await scrape(routing)
    assert total(after, "mpp_dead_letters_total", topic=topic, reason="invalid") == (
        dead_before + 5
    )
    assert total(after, "faststream_received_messages_total", app_name="routing") >= 1


async def test_events_staged_while_the_relay_is_stopped_show_as_an_ageing_backlog(
    service_app,
):
    intake = await service_app("intake")
    await until_ready(intake)
    runtime = intake.app.state.runtime
    relays = [
        hook.__self__
        for hook in runtime.on_stop
        if isinstance(getattr(hook, "__self__", None), Outbox)
    ]
    assert len(relays) == 1
    relays[0].stop()  # the relay finishes its pass and stops
    await asyncio.sleep(0.2)
    empty = await scrape(intake)
    assert total(empty, "mpp_outbox_rows") == 0
    assert total(empty, "mpp_outbox_oldest_age_seconds") == 0

    await submit(intake, await register(intake))
    staged = time.monotonic()
    waiting = await relays[0].pending()
    assert waiting >= 1
    backlog = await scrape(intake)
    assert total(backlog, "mpp_outbox_events") == waiting
    assert total(backlog, "mpp_outbox_rows") >= 1

    await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - staged)))
    aged = await scrape(intake)
    assert total(aged, "mpp_outbox_oldest_age_seconds") >= 1.0

    # A relay of this process publishes the backlog (the process still holds the lease).
    relay = Outbox(runtime.db, runtime.broker, lease=relays[0].lease)
    while await relay.relay_once():
        pass
    drained = await scrape(intake)
    assert total(drained, "mpp_outbox_events") == 0
    assert total(drained, "mpp_outbox_oldest_age_seconds") == 0


async def test_http_requests_are_counted_by_route_template_never_by_raw_path(service_app):
    intake = await service_app("intake")
    for _ in range(3):
        assert (await intake.get("/api/v1/services/ktp-el")).status_code == 200
    assert (await intake.get("/api/v1/applications/not-a-real-id")).status_code in (401, 404)
    assert (await intake.get("/nothing/here")).status_code == 404

    samples = await scrape(intake)
    assert (
        total(
            samples,
            "mpp_http_requests_total",
            method="GET",
            route="/api/v1/services/{code}",
            status="200",
        )
        == 3
    )
    assert total(samples, "mpp_http_requests_total", route="<unmatched>", status="404") == 1
    assert (
        total(
            samples,
            "mpp_http_request_duration_seconds_count",
            route="/api/v1/services/{code}",
        )
        == 3
    )
    routes = {dict(labels).get("route") for (_, labels) in samples}
    assert not any(route and ("ktp-el" in route or "not-a-real-id" in route) for route in routes)

    schema = (await intake.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


@pytest.mark.parametrize("name", ["notify", "audit"])
async def test_every_service_answers_metrics_with_its_lag(service_app, name):
    client = await service_app(name)
    await until_ready(client)
    samples = await scrape(client)
    lags = {dict(labels)["group"] for (sample, labels) in samples if sample == "mpp_consumer_lag"}
    assert lags, f"{name} reports no consumer lag"
    assert total(samples, "mpp_metrics_probe_errors_total") == 0
