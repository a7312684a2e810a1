"""Scenarios at the sizes where a cost that grows shows: the public dashboard over more
applications than it used to read, the SLA sweep over a large backlog, the audit log's
verification over 100,000 records.

They take minutes, so ``make test`` leaves them out; ``make test-scale`` runs them
(``MPP_SCALE=1``). Each scenario reports its timings in a line printed at the end of the
run and appended to ``artifacts/scale.jsonl``.
"""

import json
import os

import pytest

from tests.conftest import ARTIFACTS

_LINES: list[str] = []


def measured(scenario: str, **figures: float | int | str) -> None:
    """Record a scenario's timings (printed in the summary, kept for the docs)."""
    line = f"{scenario}: " + ", ".join(f"{name}={value}" for name, value in figures.items())
    _LINES.append(line)
    print(line)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "scale.jsonl").open("a") as out:
        out.write(json.dumps({"scenario": scenario, **figures}) + "\n")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale = [item for item in items if "scale" in item.path.parts]
    for item in scale:
        item.add_marker(pytest.mark.integration)
    if os.environ.get("MPP_SCALE") == "1" or not scale:
        return
    config.hook.pytest_deselected(items=scale)
    items[:] = [item for item in items if "scale" not in item.path.parts]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LINES:
        terminalreporter.section("scale timings")
        for line in _LINES:
            terminalreporter.write_line(line)
