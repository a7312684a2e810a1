"""docs/architecture.md names every file one application runs through, checked by
running one: a real submission through identity, intake, routing and audit in this
process (the real broker and database), every Python call traced from the request until
audit has recorded that routing routed it.

What the services do anyway in the same time (relays and consumers polling, leases,
clocks) is traced in quiet windows before and after; a file the submission made run beyond
that must be in the doc's tables, every file of the journey's table must have run, and
every file of the table around it must have run in one window or the other.
"""

import asyncio
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

from tests.e2e.helpers import eventually, register, submit

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
SECTION = "## One application, from the request to the audit record"
AROUND = "### Around every step"
JOURNEY_AT_MOST = 20
QUIET_SECONDS = 3.0  # longer than any idle loop's period, so each shows up in it
_PATH = re.compile(r"^\|\s*\d+\s*\|\s*`((?:services|shared)/[^`]+\.py)`", re.M)
_AROUND_PATH = re.compile(r"^\|\s*`((?:services|shared)/[^`]+\.py)`", re.M)
_WORDS = re.compile(r"(\d+) files carry it")


def documented() -> tuple[list[str], list[str], int]:
    """The journey's files, the files around every step, and the count the prose gives."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    journey, around = section.split(AROUND, 1)
    said = _WORDS.search(journey)
    assert said is not None, "the section says how many files carry the application"
    return _PATH.findall(journey), _AROUND_PATH.findall(around), int(said.group(1))


class Tracer:
    """The repository's files under services/ and shared/ whose functions are called."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self._prefix = str(ROOT) + "/"

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            name = frame.f_code.co_filename
            if name.startswith(self._prefix):
                relative = name[len(self._prefix) :]
                if relative.startswith(("services/", "shared/")):
                    self.files.add(relative)

    async def during(self, work: Callable[[], Awaitable[Any]]) -> Any:
        sys.setprofile(self._profile)
        try:
            return await work()
        finally:
            sys.setprofile(None)


async def _routed_recorded(audit: Any, application_id: str) -> bool:
    """Audit holds the application's first status change: routing routed it."""
    records = audit.app.state.runtime.db["records"]
    found = await records.find_one(
        {"subject": application_id, "type": "application.status_changed"}
    )
    return found is not None


async def test_the_architecture_doc_names_every_file_one_application_runs_through(service_app):
    intake = await service_app("intake")  # with identity, as behind the proxy
    await service_app("routing")
    audit = await service_app("audit")
    citizen = await register(intake)
    await submit(intake, citizen)  # the first of its kind warms caches and indexes

    background = Tracer()  # what runs anyway: pollers, leases, clocks, before and after
    quiet = QUIET_SECONDS
    await background.during(lambda: asyncio.sleep(quiet))
    began = time.monotonic()

    async def journey() -> None:
        accepted = await submit(intake, citizen)
        await eventually(lambda: _routed_recorded(audit, accepted["id"]), timeout=30, until=bool)

    traced = Tracer()
    await traced.during(journey)
    await background.during(lambda: asyncio.sleep(max(quiet, 2 * (time.monotonic() - began))))

    journey_files, around_files, said = documented()
    named = set(journey_files) | set(around_files)
    assert len(journey_files) <= JOURNEY_AT_MOST
    assert said == len(journey_files)
    assert len(named) == len(journey_files) + len(around_files), "a file is named twice"
    missing = sorted(traced.files - background.files - named)
    assert missing == [], f"the submission ran these files; the doc does not name them: {missing}"
    never_ran = sorted(set(journey_files) - traced.files)
    assert never_ran == [], f"the journey names files the submission never ran: {never_ran}"
    idle = sorted(set(around_files) - traced.files - background.files)
    assert idle == [], f"the doc names files that ran neither then nor idle: {idle}"
