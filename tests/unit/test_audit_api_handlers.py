"""Audit's API handlers, without HTTP, a broker or a database: a fake opened log and a
recorder that keeps what it would publish."""

from collections.abc import Awaitable
from typing import Any

import pytest

from services.audit.api_handlers import (
    FindEvents,
    OpenCitizen,
    ReadHistory,
    find_events,
    open_citizen,
    open_history,
    read_history,
    verification_job,
)
from services.audit.queries import EventFilter
from services.audit.refusals import problem_for
from shared.errors import Rejected
from shared.problems import Problem


async def answered(call: Awaitable[Any]) -> Any:
    """What the route answers: the handler's result, or its refusal as a problem."""
    try:
        return await call
    except Rejected as refusal:
        raise problem_for(refusal) from refusal


class FakeLog:
    """Entries as stored; ``opened`` marks each event opened and counts the calls."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.openings = 0

    async def page(self, where: EventFilter, cursor: int, limit: int) -> tuple[list, int | None]:
        found = [
            e
            for e in self.entries
            if where.citizen_id is None or e["event"]["data"].get("citizen_id") == where.citizen_id
        ]
        return found[cursor : cursor + limit], None

    async def timeline(self, application_id: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["event"]["subject"] == application_id]

    async def opened(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.openings += 1
        return [{**view, "event": {**view["event"], "opened": True}} for view in views]


def entry(type_: str, subject: str = "app-1", **data: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "time": "2026-11-27T10:00:00Z",
        "event": {"subject": subject, "region": "31", "data": data},
    }


class Recorder:
    def __init__(self) -> None:
        self.reads: list[dict[str, Any]] = []

    async def __call__(self, **read: Any) -> None:
        self.reads.append(read)


async def test_a_timeline_is_returned_with_who_read_it_once_this_read_is_recorded():
    log = FakeLog(
        [
            entry("application.submitted"),
            entry(
                "application.accessed",
                actor_kind="officer",
                actor_id="polri/budi",
                purpose="memproses",
            ),
            entry("application.submitted", subject="app-2"),
        ]
    )
    record = Recorder()

    history = await read_history(ReadHistory("siti", "app-1", "sengketa"), log, record)

    assert [e["type"] for e in history["events"]] == [
        "application.submitted",
        "application.accessed",
    ]
    assert history["accessed_by"] == [
        {
            "at": "2026-11-27T10:00:00Z",
            "actor_kind": "officer",
            "actor_id": "polri/budi",
            "purpose": "memproses",
        }
    ]
    assert record.reads == [
        {
            "application_id": "app-1",
            "region": "31",
            "actor_kind": "auditor",
            "actor_id": "siti",
            "purpose": "sengketa",
        }
    ]


async def test_an_application_with_no_records_is_not_found_and_the_read_is_not_recorded():
    record = Recorder()
    with pytest.raises(Problem) as refused:
        await answered(read_history(ReadHistory("siti", "nothing", "audit"), FakeLog([]), record))
    assert refused.value.status == 404
    assert record.reads == []


async def test_a_page_of_events_carries_its_next_cursor():
    log = FakeLog([entry("application.submitted")] * 3)
    page = await find_events(FindEvents(EventFilter(), 1, 10), log)
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


async def test_an_unknown_verification_job_is_not_found():
    class NoJobs:
        async def get(self, job_id: str) -> None:
            return None

    with pytest.raises(Problem) as refused:
        await answered(verification_job("job-9", NoJobs()))
    assert refused.value.status == 404


async def test_bulk_reads_never_open_personal_values():
    log = FakeLog([entry("application.submitted", applicant_sealed="pdp1.c-1.xyz")])
    await find_events(FindEvents(EventFilter(), 0, 10), log)
    history = await read_history(ReadHistory("siti", "app-1", "audit"), log, Recorder())
    assert log.openings == 0
    assert history["opened"] is False


async def test_opening_an_application_records_the_auditor_and_purpose_then_opens_it():
    log, record = FakeLog([entry("application.submitted")]), Recorder()
    history = await open_history(ReadHistory("siti", "app-1", "pengaduan 7/2026"), log, record)
    assert history["opened"] is True
    assert history["events"][0]["event"]["opened"] is True
    assert record.reads == [
        {
            "application_id": "app-1",
            "region": "31",
            "actor_kind": "auditor",
            "actor_id": "siti",
            "purpose": "pengaduan 7/2026",
        }
    ]


async def test_opening_a_citizens_records_is_recorded_for_that_citizen():
    log = FakeLog(
        [
            entry("account.contacts_changed", subject="c-1", citizen_id="c-1"),
            entry("account.contacts_changed", subject="c-2", citizen_id="c-2"),
        ]
    )
    record = Recorder()
    found = await open_citizen(OpenCitizen("siti", "c-1", "pengaduan kontak"), log, record)
    assert [item["event"]["subject"] for item in found["items"]] == ["c-1"]
    assert found["items"][0]["event"]["opened"] is True
    assert record.reads == [
        {
            "citizen_id": "c-1",
            "region": None,
            "actor_kind": "auditor",
            "actor_id": "siti",
            "purpose": "pengaduan kontak",
        }
    ]


async def test_opening_a_citizen_with_nothing_recorded_is_not_found_and_not_recorded():
    record = Recorder()
    with pytest.raises(Problem) as refused:
        await answered(
            open_citizen(OpenCitizen("siti", "nobody", "pengaduan kontak"), FakeLog([]), record)
        )
    assert refused.value.status == 404
    assert record.reads == []
