"""The catalogue as published: every process of every service applies a published
package within seconds, without a restart.

A package (the national one, or a region's) is published as a ``catalogue.published``
event on the catalogue topic (``<namespace>.catalogue``: one partition, compacted, keyed
by the package's id, so the topic keeps each package's newest version). Every process
reads that topic from its start with no consumer group — each replica needs every
package, so none may share the work — and swaps in the catalogue compiled from the
packages it holds. Until a package of its own is published, a region or the national
standard is the built-in one (``shared/catalogue/packages/``).

Code holds one :class:`LiveCatalogue` for its whole life (the runtime's ``catalogue``)
and reads through it: each attribute read is the current compiled :class:`Catalogue`'s,
so an object built at start-up sees every later version. A piece of work that must see
one version throughout (a routing decision, a page) takes ``catalogue.current`` once.
"""

import asyncio
import json
import weakref
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka.security import parse_security
from prometheus_client import CollectorRegistry, Gauge

from shared.catalogue import PACKAGES_DIR, Catalogue, load_catalogue
from shared.catalogue.packaging import (
    NationalPackage,
    Package,
    PackageInvalid,
    PackageProblem,
    RegionPackage,
    compile_catalogue,
    package_from,
)
from shared.events import CataloguePublished, CataloguePublishedData, InvalidEvent, decode
from shared.kafka import kafka_security
from shared.settings import Settings

__all__ = [
    "CatalogueFeed",
    "LiveCatalogue",
    "built_in_documents",
    "compile_documents",
    "compile_packages",
    "package_id",
    "served_catalogue",
]

log = structlog.get_logger(__name__)


def package_id(package: NationalPackage | RegionPackage) -> str:
    """A package's key on the catalogue topic: ``national``, or its region's code."""
    return "national" if isinstance(package, NationalPackage) else package.region.code


def built_in_documents(base: Path = PACKAGES_DIR) -> dict[str, dict[str, Any]]:
    """The packages shipped in ``shared/catalogue/packages/``, by id: what a process
    serves until a package of its own is published."""
    paths = [base / "national.json", *sorted((base / "regions").glob("*.json"))]
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    return {package_id(package_from(d, "built-in")): d for d in documents}


def compile_documents(
    documents: Mapping[str, Mapping[str, Any]], version: int | None = None
) -> Catalogue:
    """The catalogue of package documents by id (:class:`PackageInvalid` lists every
    problem, each by package and path)."""
    return compile_packages(
        {key: package_from(dict(document), key) for key, document in documents.items()},
        version,
    )


def compile_packages(packages: Mapping[str, Package], version: int | None = None) -> Catalogue:
    """The catalogue of parsed packages by id: what a publish recompiles, each package
    parsed (and its forms checked) once, when it arrived."""
    national = [p for p in packages.values() if isinstance(p, NationalPackage)]
    if len(national) != 1:
        raise PackageInvalid([PackageProblem("catalogue", "", "needs one national package")])
    regions = [p for p in packages.values() if isinstance(p, RegionPackage)]
    return compile_catalogue(national[0], regions, version=version)


_CATCH_UP_SECONDS = 10.0
_POLL_MS = 500


_IN_THIS_PROCESS: "weakref.WeakSet[LiveCatalogue]" = weakref.WeakSet()


def served_catalogue() -> Catalogue:
    """The catalogue this process serves, for code that puts it into words and has no
    runtime at hand (a page filter's zone, a notice's service name): the newest a
    :class:`LiveCatalogue` of this process has applied, else the built-in one. A
    deployed process serves one namespace, so there is one; a test process may hold
    several, all built on the same built-in catalogue."""
    applied = [live.current for live in list(_IN_THIS_PROCESS)]
    return max(applied, key=lambda c: c.version, default=None) or load_catalogue()


class LiveCatalogue:
    """The newest catalogue this process has applied, read through as a :class:`Catalogue`."""

    def __init__(
        self, built_in: Mapping[str, Mapping[str, Any]], initial: Catalogue | None = None
    ) -> None:
        """``built_in``: package documents by id; ``initial``: the catalogue to start
        from instead of the one they compile to (a test's own). The documents are parsed
        once and kept as models: a publish parses only the package it brings."""
        self._packages: dict[str, Package] = {
            key: package_from(dict(document), key) for key, document in built_in.items()
        }
        self._package_versions: dict[str, int] = {}
        self._current = initial or compile_packages(self._packages, None)
        self._built_in_version = self._current.version
        self._applied = 0
        """The highest catalogue version published and applied here: a release may ship
        built-in packages numbered above what was published before it, and those
        publishes must still apply when the upgraded process reads the topic."""
        _IN_THIS_PROCESS.add(self)

    @property
    def current(self) -> Catalogue:
        """The compiled catalogue now: one version, for work that must not see two."""
        return self._current

    @property
    def packages(self) -> dict[str, Package]:
        """The packages the current catalogue is compiled from, by id."""
        return dict(self._packages)

    def package_version(self, package_id: str) -> int:
        """The published version of a package; 0 while it is the built-in one."""
        return self._package_versions.get(package_id, 0)

    def apply(self, published: CataloguePublishedData) -> bool:
        """Swap in the catalogue with ``published``; False (and nothing changes) for a
        version already applied or older, or a package that no longer compiles with the
        rest (the publisher checked it; a message from elsewhere is refused here too)."""
        if published.catalogue_version <= self._applied:
            return False
        shipped = self._packages.get(published.package_id)
        if shipped is not None and shipped.version > published.package_version:
            # a release shipped a newer version of this package than was published
            self._applied = published.catalogue_version
            return False
        try:
            package = package_from(published.package, published.package_id)
            packages = {**self._packages, published.package_id: package}
            version = max(published.catalogue_version, self._built_in_version)
            compiled = compile_packages(packages, version)
        except (PackageInvalid, ValueError) as exc:
            log.error(
                "published package refused",
                package=published.package_id,
                version=published.package_version,
                error=str(exc)[:500],
            )
            return False
        self._packages = packages
        self._package_versions[published.package_id] = published.package_version
        self._applied = published.catalogue_version
        self._current = compiled
        log.info(
            "catalogue applied",
            version=compiled.version,
            package=published.package_id,
            package_version=published.package_version,
        )
        return True

    def __getattr__(self, name: str) -> Any:
        # Only reached for what this class does not define: the compiled catalogue's
        # fields and methods (service, agency_for, regions …), always the newest.
        return getattr(self._current, name)


class CatalogueFeed:
    """Every published package, applied to one process's :class:`LiveCatalogue`."""

    def __init__(
        self,
        live: LiveCatalogue,
        settings: Settings,
        topic: str,
        *,
        service: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.live = live
        self._settings = settings
        self._partition = TopicPartition(topic, 0)
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self._version = Gauge(
            "mpp_catalogue_version",
            "The catalogue version this process serves (one higher with every publish).",
            ["service"],
            registry=registry,
        ).labels(service=service)
        self._version.set(live.current.version)

    async def catch_up(self, timeout: float = _CATCH_UP_SECONDS) -> None:
        """Apply what the topic holds before the service answers, so a restarted
        replica never serves an older catalogue than its peers. A broker that cannot be
        read within ``timeout`` leaves the built-in catalogue, with a warning; the feed
        keeps trying in :meth:`run`."""
        try:
            consumer = await self._start()
            end = (await consumer.end_offsets([self._partition]))[self._partition]
            deadline = asyncio.get_running_loop().time() + timeout
            while await consumer.position(self._partition) < end:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"catalogue topic not read to offset {end}")
                await self._poll(consumer)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("catalogue not caught up at start", error=str(exc))

    async def run(self) -> None:
        """Apply each package as it is published, until the service stops."""
        try:
            while not self._stopping.is_set():
                try:
                    await self._poll(await self._start())
                except (KafkaError, OSError) as exc:
                    log.warning("catalogue feed interrupted", error=str(exc))
                    await self._close()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), 1.0)
        finally:
            await self._close()

    def stop(self) -> None:
        self._stopping.set()

    async def _start(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._settings.kafka_bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **parse_security(kafka_security(self._settings)),
            )
            await consumer.start()
            consumer.assign([self._partition])
            await consumer.seek_to_beginning(self._partition)
            self._consumer = consumer
        return self._consumer

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(self._partition, timeout_ms=_POLL_MS)
        for record in batches.get(self._partition, []):
            # Compiling a national catalogue takes seconds of CPU: in a thread, the
            # service keeps answering (on the version before) while it compiles.
            await asyncio.to_thread(self._apply, record.value)

    def _apply(self, raw: bytes | None) -> None:
        if raw is None:  # a deleted key: a package is never withdrawn this way
            return
        try:
            event = decode(raw)
        except InvalidEvent as exc:
            log.error("catalogue record refused", reason=exc.reason)
            return
        if isinstance(event, CataloguePublished) and self.live.apply(event.data):
            self._version.set(self.live.current.version)

    async def close(self) -> None:
        """Stop reading (a command that caught up once and is done with the catalogue)."""
        await self._close()

    async def _close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            with suppress(KafkaError, OSError):
                await consumer.stop()
