"""Fault scenarios: the platform's processes on the local stack, faults injected, and an
accounting of what went in and what came out.

Slow scenarios (marked ``slow``) run only with ``make test-faults`` (``MPP_FAULTS_ALL=1``);
the fast ones run in ``make test`` too. Every scenario reports one accounting line, printed
at the end of the run and appended to ``artifacts/faults.jsonl``.
"""

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pytest

from ops.localstack import LocalStack
from tests.conftest import ARTIFACTS, Platform

_LINES: list[str] = []


@dataclass(frozen=True)
class Accounting:
    scenario: str
    sent: int
    out: int
    duplicates: int
    lost: int
    seconds: float
    note: str = ""

    def line(self) -> str:
        return (
            f"{self.scenario}: in={self.sent} out={self.out} duplicates={self.duplicates} "
            f"lost={self.lost} duration={self.seconds:.1f}s {self.note}".rstrip()
        )


def account(entry: Accounting) -> None:
    """Record a scenario's accounting line (printed in the summary, kept for the docs)."""
    _LINES.append(entry.line())
    print(entry.line())
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "faults.jsonl").open("a") as out:
        out.write(json.dumps(asdict(entry)) + "\n")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "faults" in item.path.parts:
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LINES:
        terminalreporter.section("fault accounting")
        for line in _LINES:
            terminalreporter.write_line(line)


def platform_env(local: LocalStack, **extra: str) -> dict[str, str]:
    return {
        "MPP_KAFKA_BOOTSTRAP": local.kafka_bootstrap,
        "MPP_MONGO_URI": local.mongo_uri,
        "MPP_NAMESPACE": f"t{uuid.uuid4().hex[:10]}",
        "MPP_LOG_FORMAT": "json",
        "MPP_RETRY_BACKOFF_SECONDS": "0.05",
        "MPP_OUTBOX_POLL_SECONDS": "0.2",
        **extra,
    }


@pytest.fixture(scope="module")
def running(stack: LocalStack, request: pytest.FixtureRequest) -> Iterator[Platform]:
    """The four services and the demo agency as processes, shared by a module's scenarios."""
    log_dir = ARTIFACTS / "test-logs" / f"faults-{request.module.__name__.rsplit('.', 1)[-1]}"
    shutil.rmtree(log_dir, ignore_errors=True)
    platform = Platform(platform_env(stack), log_dir)
    platform.provision()
    platform.start()
    yield platform
    platform.stop()
