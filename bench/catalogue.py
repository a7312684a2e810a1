"""The platform with a national catalogue loaded: 514 regions × ~150 services.

python -m bench.catalogue [--regions 514 --services 150 --publishes 20 --requests 200]

Generates the catalogue (:mod:`bench.national_catalogue`), then measures

- in this process: reading the package files (parse and check each package), compiling
  them into the runtime catalogue (cold, then again as a running process recompiles on a
  publish), routing's look-ups per application (``agency_for``, ``terms``,
  ``calendar_for``) beside the demo catalogue's, the topics and partitions the catalogue
  needs (``Topics.for_catalogue``) and the size of the largest packages beside Kafka's
  1 MiB default message limit;
- on the local stack, every service its own process started with the generated packages
  as its built-in catalogue (``MPP_CATALOGUE_PACKAGES_DIR``), then again with the demo
  catalogue: resident memory of each process, ``GET /api/v1/services?region=`` on intake,
  and publish → live: a region administrator publishes a changed package through
  routing's admin API and each process is watched until it serves it (intake's service
  list shows the new fee; the others' ``mpp_catalogue_version`` gauge).
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import Figure, ImpossibleFigure, check, local_stack, percentile, report
from bench.national_catalogue import generate, write
from bench.processes import rss_mb
from ops.localstack import free_port
from ops.processes import SERVICES, PlatformProcess, service_process
from shared.auth import issue_token
from shared.catalogue import PACKAGES_DIR, Catalogue
from shared.catalogue.live import LiveCatalogue, built_in_documents, compile_documents
from shared.events import CataloguePublishedData
from shared.settings import Settings
from shared.topics import Topics

__all__ = ["KAFKA_MAX_MESSAGE", "consistent", "main"]

KAFKA_MAX_MESSAGE = 1_048_576
"""The producer's ``max.request.size`` and the broker's ``message.max.bytes`` (about)
by default: a package is published as one record."""


def consistent(stage: str, figures: list[Figure]) -> None:
    """Refuse what no measurement can give: any impossible figure (``check``), a p99
    below its own p50, or a package's share of the message limit above 1 while it
    published."""
    for figure in figures:
        check(stage, figure)
    values = {f.name: f.value for f in figures}
    for name, value in values.items():
        if name.endswith(" p99"):
            p50 = values.get(name.removesuffix(" p99") + " p50")
            if p50 is not None and value < p50:
                raise ImpossibleFigure(f"{stage}: {name}: {value:,.1f} below its p50 {p50:,.1f}")


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _per_call_us(catalogue: Catalogue, pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Microseconds per call of each look-up routing makes for one application."""
    calls = {
        "agency_for": lambda s, r: catalogue.agency_for(s, r),
        "terms": lambda s, r: catalogue.terms(s, r),
        "calendar_for": lambda s, r: catalogue.calendar_for(r),
    }
    found = {}
    for name, call in calls.items():
        started = time.perf_counter()
        for service, region in pairs:
            call(service, region)
        found[name] = (time.perf_counter() - started) / len(pairs) * 1e6
    return found


def _pairs(catalogue: Catalogue, count: int, rng: random.Random) -> list[tuple[str, str]]:
    offered = [(t.service, t.region) for t in catalogue.region_terms]
    return [rng.choice(offered) for _ in range(count)]


def _lookups(
    catalogue: Catalogue, demo: Catalogue, rng: random.Random, rounds: int = 5
) -> tuple[dict[str, float], dict[str, float]]:
    """Each look-up's median over ``rounds``, the two catalogues taking turns (the
    machine is shared: a burst of other work then lands on both alike)."""
    ours, theirs = _pairs(catalogue, 20_000, rng), _pairs(demo, 20_000, rng)
    national: list[dict[str, float]] = []
    baseline: list[dict[str, float]] = []
    for _ in range(rounds):
        national.append(_per_call_us(catalogue, ours))
        baseline.append(_per_call_us(demo, theirs))
    return (
        {name: statistics.median(r[name] for r in national) for name in national[0]},
        {name: statistics.median(r[name] for r in baseline) for name in baseline[0]},
    )


def _applies(documents: dict[str, Any]) -> tuple[float, float]:
    """Seconds a running process takes to apply one published package: a region's (the
    median of five, the first one excluded: it builds the catalogue's look-up indexes) and
    the national one (which every region's terms depend on)."""
    live = LiveCatalogue(documents)
    region = next(key for key in sorted(documents) if key != "national")

    def publish(key: str, number: int) -> float:
        document = {**documents[key], "version": documents[key]["version"] + number}
        published = CataloguePublishedData(
            package_id=key,
            package_version=document["version"],
            catalogue_version=live.version + 1,
            package=document,
            published_by="bench",
            reason="bench",
        )
        applied, seconds = _timed(lambda: live.apply(published))
        if not applied:
            raise RuntimeError(f"package {key} was not applied")
        return seconds

    region_times = [publish(region, number) for number in range(1, 7)][1:]
    return statistics.median(region_times), publish("national", 1)


def in_process(directory: Path) -> tuple[list[Figure], dict[str, Any]]:
    """Load, compile, look-ups, topics and sizes, measured in this process."""
    documents, loaded = _timed(lambda: built_in_documents(directory))
    catalogue, cold = _timed(lambda: compile_documents(documents))
    region_apply, national_apply = _applies(documents)
    demo = compile_documents(built_in_documents(PACKAGES_DIR))
    rng = random.Random(29)
    lookups, demo_lookups = _lookups(catalogue, demo, rng)
    settings = Settings()
    specs = Topics("mpp").for_catalogue(catalogue, settings)
    demo_specs = Topics("mpp").for_catalogue(demo, settings)
    sizes = {
        key: len(json.dumps(document, ensure_ascii=False).encode())
        for key, document in documents.items()
    }
    largest_region = max(size for key, size in sizes.items() if key != "national")
    figures = [
        Figure(f"load: read and check {len(documents)} package files", loaded, "s"),
        Figure("compile the national catalogue, first in a process", cold, "s"),
        Figure("apply a published region package (what it costs a process)", region_apply, "s"),
        Figure("apply a published national package", national_apply, "s"),
        *[
            Figure(f"look-up {name}", value, "µs/call", demo_lookups[name], "demo catalogue")
            for name, value in lookups.items()
        ],
        Figure("topics", len(specs), "topics", len(demo_specs), "demo catalogue"),
        Figure(
            "partitions",
            sum(s.partitions for s in specs),
            "partitions",
            sum(s.partitions for s in demo_specs),
            "demo catalogue",
        ),
        Figure(
            "national package",
            sizes["national"] / 1024,
            "KiB",
            KAFKA_MAX_MESSAGE / 1024,
            "Kafka's default message limit",
        ),
        Figure(
            "largest region package",
            largest_region / 1024,
            "KiB",
            KAFKA_MAX_MESSAGE / 1024,
            "Kafka's default message limit",
        ),
    ]
    counts = {
        "regions": len(catalogue.regions),
        "services": len(catalogue.services),
        "offered": len(catalogue.region_terms),
        "offices": len(catalogue.agencies),
        "systems": len(catalogue.systems),
        "kafka_inboxes": len(catalogue.kafka_inboxes()),
    }
    return figures, counts


_GAUGE = re.compile(r'mpp_catalogue_version\{service="([a-z]+)"\} ([0-9.e+]+)')


def _start(env: dict[str, str], log_dir: Path) -> tuple[dict[str, PlatformProcess], float]:
    """Every service its own process; seconds until the last answers ``/readyz``."""
    processes = {
        name: service_process(name, env, free_port(), log_dir).start() for name in SERVICES
    }
    started = time.monotonic()
    for process in processes.values():
        process.wait_ready(timeout=900)
    return processes, time.monotonic() - started


async def _list_services(client: httpx.AsyncClient, url: str, regions: list[str]) -> list[float]:
    """Milliseconds of each ``GET /api/v1/services?region=`` in turn."""
    took = []
    for region in regions:
        started = time.perf_counter()
        answer = await client.get(f"{url}/api/v1/services", params={"region": region})
        took.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return took


async def _serves(
    client: httpx.AsyncClient, process: PlatformProcess, change: dict[str, Any]
) -> bool:
    """Whether ``process`` serves the published change yet."""
    if process.name == "intake":
        started = time.perf_counter()
        answer = await client.get(
            f"{process.url}/api/v1/services", params={"region": change["region"]}
        )
        took = (time.perf_counter() - started) * 1000
        change["slowest"] = max(change.get("slowest", 0.0), took)
        return any(
            s["code"] == change["service"] and s["fee_idr"] == change["fee"] for s in answer.json()
        )
    text = (await client.get(f"{process.url}/metrics")).text
    versions = {service: float(value) for service, value in _GAUGE.findall(text)}
    return versions.get(process.name, 0) >= change["version"]


async def _until_served(
    client: httpx.AsyncClient, process: PlatformProcess, change: dict, sent: float
) -> float:
    while time.perf_counter() - sent < 300:
        try:
            if await _serves(client, process, change):
                return (time.perf_counter() - sent) * 1000
        except httpx.TransportError:  # a kept-alive connection the server just closed
            pass
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{process.name} did not serve catalogue version {change['version']}")


async def _publish_once(
    client: httpx.AsyncClient,
    processes: dict[str, PlatformProcess],
    token: str,
    document: dict[str, Any],
    number: int,
) -> dict[str, float]:
    """Publish ``document`` with a new fee for its first adopted service; milliseconds
    from the request until routing answered, and until each process served it."""
    changed = json.loads(json.dumps(document))
    changed["version"] = document["version"] + number
    changed["adopts"][0]["fee_idr"] = 100_000 + number * 1_000
    sent = time.perf_counter()
    answer = await client.post(
        f"{processes['routing'].url}/api/v1/catalogue/packages",
        json={"package": changed, "reason": "tarif baru / new fee"},
        headers={"Authorization": f"Bearer {token}"},
    )
    answered = (time.perf_counter() - sent) * 1000
    answer.raise_for_status()
    change = {
        "region": document["region"]["code"],
        "service": changed["adopts"][0]["service"],
        "fee": changed["adopts"][0]["fee_idr"],
        "version": answer.json()["catalogue_version"],
    }
    waits = [_until_served(client, p, change, sent) for p in processes.values()]
    served = dict(zip(processes, await asyncio.gather(*waits), strict=True))
    return {
        "routing answered": answered,
        **served,
        "every service": max(served.values()),
        "intake's slowest answer meanwhile": change.get("slowest", 0.0),
    }


def _env(stack: Any, tmp: Path, directory: Path | None) -> dict[str, str]:
    env = {
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_NAMESPACE": f"b{uuid.uuid4().hex[:8]}",
        "MPP_LOCAL_DIR": str(tmp / "local"),
        "MPP_LOG_LEVEL": "WARNING",
        "MPP_LOG_FORMAT": "json",
        "MPP_INTAKE_RATE_PER_IP": "100000000",
    }
    if directory is not None:
        env["MPP_CATALOGUE_PACKAGES_DIR"] = str(directory)
    return env


async def _exercise(
    processes: dict[str, PlatformProcess], env: dict[str, str], directory: Path, options: Any
) -> dict[str, Any]:
    """Requests to intake, then publishes of one region's package, on a running platform."""
    documents = built_in_documents(directory)
    regions = sorted(key for key in documents if key != "national")
    rng = random.Random(29)
    region = "7371" if "7371" in documents else regions[0]
    os.environ.update(env)  # the services' signing keys, from the same local directory
    token, _ = issue_token(Settings(), f"admin-{region}", ("region_admin",), region=region)
    # idle connections dropped before uvicorn closes them (5 s), never reused mid-close
    limits = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        asked = [rng.choice(regions) for _ in range(options.requests)]
        listed = await _list_services(client, processes["intake"].url, asked)
        publishes = [
            await _publish_once(client, processes, token, documents[region], number)
            for number in range(1, options.publishes + 1)
        ]
    return {"listed": listed, "publishes": publishes}


async def on_stack(label: str, directory: Path | None, tmp: Path, options: Any) -> dict:
    """One platform, its catalogue ``directory`` (None: the shipped demo), measured."""
    with local_stack(tmp / label) as stack:
        env = _env(stack, tmp / label, directory)
        processes, ready = _start(env, tmp / label / "logs")
        try:
            rss_started = {name: rss_mb(p.process.pid) for name, p in processes.items()}  # type: ignore[union-attr]
            found = await _exercise(processes, env, directory or PACKAGES_DIR, options)
            rss_after = {name: rss_mb(p.process.pid) for name, p in processes.items()}  # type: ignore[union-attr]
        finally:
            for process in processes.values():
                process.stop()
    return {"ready": ready, "rss_started": rss_started, "rss_after": rss_after, **found}


def _p(samples: list[float], q: float) -> float:
    return percentile(sorted(samples), q)


def _quantiles(name: str, ours: list[float], theirs: list[float]) -> list[Figure]:
    return [
        Figure(f"{name} {q}", _p(ours, v), "ms", _p(theirs, v), "demo catalogue")
        for q, v in (("p50", 50), ("p99", 99))
    ]


def live_figures(national: dict, demo: dict) -> list[Figure]:
    """The stack's figures, national beside demo."""
    figures = [Figure("all services ready", national["ready"], "s", demo["ready"], "demo")]
    figures += [
        Figure(f"RSS {name}", national["rss_after"][name], "MiB", demo["rss_after"][name], "demo")
        for name in SERVICES
    ]
    figures += _quantiles("GET /api/v1/services?region=", national["listed"], demo["listed"])
    for what in ("routing answered", *SERVICES, "every service"):
        ours = [p[what] for p in national["publishes"]]
        theirs = [p[what] for p in demo["publishes"]]
        figures += _quantiles(f"publish → live: {what}", ours, theirs)
    slowest = "intake's slowest answer meanwhile"
    if slowest in national["publishes"][0]:
        figures += _quantiles(
            "GET /api/v1/services?region= while a publish applies, slowest",
            [p[slowest] for p in national["publishes"]],
            [p[slowest] for p in demo["publishes"]],
        )
    return figures


def _notes(counts: dict[str, int], options: Any, national: dict) -> str:
    started = ", ".join(f"{k} {v:,.0f}" for k, v in national["rss_started"].items())
    return (
        f"Catalogue: `python -m bench.national_catalogue --out DIR --regions {options.regions} "
        f"--services {options.services}` — {counts['regions']} regions, {counts['offered']:,} "
        f"services offered ({counts['offered'] / max(1, counts['regions']):.0f} per region; "
        f"{counts['services']:,} distinct), {counts['offices']:,} offices, "
        f"{counts['systems']} Kafka systems ({counts['kafka_inboxes']} inboxes). Every service "
        "started with it as its built-in catalogue (`MPP_CATALOGUE_PACKAGES_DIR`). RSS after "
        f"{options.publishes} publishes; at start (MiB): {started}. Publish → live: a "
        "region_admin token publishes region 7371 with a new fee through routing's "
        "`POST /api/v1/catalogue/packages`, timed from the request until intake lists the fee "
        "and the others' `mpp_catalogue_version` gauge reaches the published version; "
        f"{options.publishes} publishes one after another. Look-ups: 20,000 random (service, "
        "region) pairs a region offers."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=514)
    parser.add_argument("--services", type=int, default=150, help="per region, about")
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="GET /api/v1/services")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mpp-bench-catalogue-"))
    try:
        directory = tmp / "packages"
        write(directory, *generate(options.regions, options.services))
        figures, counts = in_process(directory)
        demo = asyncio.run(on_stack("demo", None, tmp, options))
        national = asyncio.run(on_stack("national", directory, tmp, options))
        figures += live_figures(national, demo)
        consistent("catalogue", figures)
    except ImpossibleFigure as error:
        raise SystemExit(f"benchmark failed, nothing written: {error}") from error
    except BaseException:
        kept = Path(tempfile.mkdtemp(prefix="mpp-bench-catalogue-logs-"))
        for logs in tmp.glob("*/logs"):
            shutil.copytree(logs, kept / logs.parent.name)
        print(f"the services' logs: {kept}", flush=True)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    extra = {"counts": counts, "publishes": {"national": national["publishes"]}}
    report("catalogue", figures, _notes(counts, options, national), extra)


if __name__ == "__main__":
    main()
