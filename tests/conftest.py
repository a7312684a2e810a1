"""Test fixtures: the real local stack, and the platform's processes on top of it.

One Tansu broker and one SecantusDB server are started per test session on free ports.
Each test that needs isolation gets its own namespace (topics, consumer groups and
databases all carry it), so tests share the servers without seeing each other's data.
"""

import asyncio
import gc
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.localstack import LocalStack, free_port
from ops.processes import SERVICES, PlatformProcess, demo_agency_process, service_process
from shared.catalogue import load_catalogue
from shared.settings import Settings
from tests.e2e.helpers import INTAKE_DATABASES
from tests.front_door import FrontDoorServer, start_intake

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("stack")
    local = LocalStack(
        kafka_port=free_port(),
        mongo_port=free_port(),
        data_dir=data_dir,
        # each pytest-xdist worker runs its own broker and database
        log_dir=ARTIFACTS / "stack-logs" / os.environ.get("PYTEST_XDIST_WORKER", "main"),
        fresh_database=True,
    )
    local.start()
    yield local
    local.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def stack_env(stack: LocalStack, namespace: str) -> dict[str, str]:
    """The environment a platform process gets in a test."""
    return {
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_NAMESPACE": namespace,
        "MPP_LOG_FORMAT": "json",
        "MPP_RETRY_BACKOFF_SECONDS": "0.05",
    }


@pytest.fixture
def settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return Settings()


class Platform:
    """The five services and the demo agency, each its own process. A name such as
    ``routing-2`` starts another replica of a service (its own port and log). Every
    process is told every first replica's port, so services find one another at
    127.0.0.1 (intake asks identity; identity asks intake, notify and audit)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, PlatformProcess] = {}
        self.front: FrontDoorServer | None = None
        """Identity's and intake's API on one address, as the proxy routes them."""

    def provision(self) -> None:
        """Create the topics first, as ``make up`` and the compose topics job do."""
        subprocess.run(
            [sys.executable, "-m", "ops", "topics", "provision"],
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, *names: str) -> None:
        names = names or (*SERVICES, "agency")
        if "intake" in names and "identity" not in (*names, *self.processes):
            names = ("identity", *names)  # intake asks identity for every account
        for name in names:
            if name in SERVICES and name not in self.processes:
                self.env[f"MPP_{name.upper()}_PORT"] = str(free_port())
        if (
            self.front is None
            and {"identity", "intake"} <= {*names, *self.processes}
            and "MPP_INTAKE_PORT" in self.env
        ):
            # Pages link to intake's and identity's pages at the one origin, as behind the
            # proxy: every process is told the front door's address before it starts.
            self.front = FrontDoorServer(
                f"http://127.0.0.1:{self.env['MPP_INTAKE_PORT']}",
                f"http://127.0.0.1:{self.env['MPP_IDENTITY_PORT']}",
            )
            web_urls = json.loads(self.env.get("MPP_WEB_URLS") or "{}")
            self.env["MPP_WEB_URLS"] = json.dumps(
                {"intake": self.front.url, "identity": self.front.url, **web_urls}
            )
        for name in names:
            if name == "agency":
                process = demo_agency_process(
                    load_catalogue().kafka_inboxes(), self.env, self.log_dir
                )
            else:
                service, _, replica = name.partition("-")
                port = (
                    self.processes[name].port
                    if name in self.processes
                    else int(self.env[f"MPP_{service.upper()}_PORT"])
                    if replica == ""
                    else free_port()
                )
                process = service_process(
                    service, self.env, port, self.log_dir, replica=int(replica or 1)
                )
            self.processes[name] = process.start()
        for name in names:
            self.processes[name].wait_ready(timeout=90)
        if self.front is not None and not self.front.started:
            self.front.start()
        for service in ("identity", "intake"):
            if service in self.processes:
                INTAKE_DATABASES[self.url(service)] = Settings(
                    mongo_uri=self.env["MPP_MONGO_URI"], namespace=self.env["MPP_NAMESPACE"]
                )

    def url(self, name: str) -> str:
        """A service's address; intake's is the front door, where identity's paths go to
        identity as behind the proxy (``direct_url`` is intake's own)."""
        if name == "intake" and self.front is not None:
            return self.front.url
        return self.processes[name].url

    def page_url(self, name: str) -> str:
        """Where a browser reaches a service's pages: intake's and identity's at the front
        door, the one origin they share behind the proxy (``MPP_WEB_URLS``)."""
        if name in ("intake", "identity") and self.front is not None:
            return self.front.url
        return self.processes[name].url

    def direct_url(self, name: str) -> str:
        return self.processes[name].url

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        for process in self.processes.values():
            process.stop()

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log"))
        )


@pytest.fixture
def platform(
    stack_env: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Callable[..., Platform]]:
    started: list[Platform] = []
    log_dir = ARTIFACTS / "test-logs" / request.node.name
    shutil.rmtree(log_dir, ignore_errors=True)

    def start(*names: str, **extra_env: str) -> Platform:
        running = Platform({**stack_env, **extra_env}, log_dir)
        started.append(running)
        running.provision()
        running.start(*names)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
async def service_app(settings: Settings) -> AsyncIterator[Callable[[str], Awaitable[Any]]]:
    """Start a service in this process (its real lifespan: topics, indexes, broker,
    consumers, relay) and return an HTTP client bound to it; ``client.app`` is the app.
    ``intake`` starts identity too: its client routes identity's paths there, as the
    proxy does, and ``client.identity`` is identity's app."""
    async with AsyncExitStack() as stack:

        async def start(name: str) -> httpx.AsyncClient:
            if name == "intake":
                return await start_intake(stack, settings)
            app = importlib.import_module(f"services.{name}.app").build(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
            )
            await stack.enter_async_context(client)
            client.app = app  # type: ignore[attr-defined]
            return client

        yield start


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts or "e2e" in item.path.parts:
            item.add_marker(pytest.mark.integration)
    # Scenarios marked slow are left out of make test: make test-slow runs the end-to-end
    # ones (MPP_SLOW=1), make test-faults the fault scenarios (MPP_FAULTS_ALL=1).
    if os.environ.get("MPP_SLOW") == "1" or os.environ.get("MPP_FAULTS_ALL") == "1":
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


os.environ.setdefault("MPP_LOG_FORMAT", "json")
# Every test starts fresh consumer groups, and the broker holds a new group's first join
# for half the session timeout: 2 s here instead of 5 s at the production default.
os.environ.setdefault("MPP_KAFKA_SESSION_TIMEOUT_MS", "4000")


_STUCK_AFTER_SECONDS = 100.0
"""A test still running after this long writes every asyncio task's stack to STUCK
(before pytest-timeout's limit): a hang inside the event loop then says where it waits."""
STUCK = ARTIFACTS / "test-logs" / "stuck-tests.txt"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    watchdog = threading.Timer(_STUCK_AFTER_SECONDS, _print_tasks, args=(item.nodeid,))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()


def _print_tasks(nodeid: str) -> None:
    running = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    loops = [loop for loop in running if loop.is_running()]
    if not loops:
        return
    loop = loops[0]

    def dump() -> None:
        STUCK.parent.mkdir(parents=True, exist_ok=True)
        with STUCK.open("a") as out:
            print(f"=== {nodeid} still running: its asyncio tasks", file=out)
            for task in asyncio.all_tasks(loop):
                print(f"--- {task.get_name()}", file=out)
                task.print_stack(limit=12, file=out)

    loop.call_soon_threadsafe(dump)
