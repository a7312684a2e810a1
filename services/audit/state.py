"""An application's state at any moment, rebuilt from the log alone.

The application's events up to time T are folded through the status workflow
(:mod:`shared.workflow`): ``application.submitted`` starts it in ``submitted``; each
``application.status_changed``, in its per-application sequence, moves it on. A step
the workflow forbids, or a gap in the sequence, is reported as an anomaly — the log
records what happened, the fold says whether it should have.

The live view to compare with is intake's read model (the citizen's tracking view),
read from intake's database with a read-only query: intake's HTTP API answers only the
application's owner, and the comparison must see exactly what citizens are shown.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.queries import time_text
from shared.workflow import IllegalTransition, check_transition

__all__ = ["RebuiltState", "differences", "fold", "live_state", "rebuild_state"]

SUBMITTED = "application.submitted"
STATUS_CHANGED = "application.status_changed"


@dataclass
class RebuiltState:
    application_id: str
    status: str | None = None
    agency: str | None = None
    last_sequence: int = 0
    statuses: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "status": self.status,
            "agency": self.agency,
            "last_sequence": self.last_sequence,
            "statuses": self.statuses,
            "anomalies": self.anomalies,
        }


def fold(application_id: str, events: Iterable[Mapping[str, Any]]) -> RebuiltState:
    """Pure: the state after ``events`` (parsed event envelopes, any order)."""
    state = RebuiltState(application_id)
    changes: dict[int, Mapping[str, Any]] = {}
    for event in events:
        if event.get("type") == SUBMITTED and state.status is None:
            state.status = "submitted"
            state.statuses.append("submitted")
        elif event.get("type") == STATUS_CHANGED:
            changes.setdefault(event["data"]["sequence"], event["data"])
    if changes and state.status is None:
        state.anomalies.append("status changes recorded without the submission")
    for sequence in sorted(changes):
        change = changes[sequence]
        if sequence != state.last_sequence + 1:
            state.anomalies.append(
                f"status change {state.last_sequence + 1} is missing before {sequence}"
            )
        current = state.status or "submitted"
        try:
            check_transition(current, change["to_status"], change["actor"])
        except IllegalTransition as exc:
            state.anomalies.append(f"change {sequence}: {exc}")
        state.status = change["to_status"]
        state.statuses.append(change["to_status"])
        state.last_sequence = sequence
        if change.get("agency") is not None:
            state.agency = change["agency"]
    return state


async def rebuild_state(db: AsyncDatabase, application_id: str, at: datetime) -> RebuiltState:
    found = db["records"].find(
        {
            "subject": application_id,
            "type": {"$in": [SUBMITTED, STATUS_CHANGED]},
            "time": {"$lte": time_text(at)},
        },
        {"event": 1},
    )
    return fold(application_id, [orjson.loads(doc["event"]) async for doc in found])


async def live_state(intake_db: AsyncDatabase, application_id: str) -> dict[str, Any] | None:
    return await intake_db["applications"].find_one(
        {"_id": application_id},
        {"status": 1, "agency": 1, "last_sequence": 1, "timeline.status": 1},
    )


def differences(rebuilt: RebuiltState, live: Mapping[str, Any] | None) -> list[str]:
    """What the live view shows differently from the log; empty when they agree."""
    if live is None:
        return [] if rebuilt.status is None else ["the live view has no such application"]
    found = []
    for name, ours, theirs in (
        ("status", rebuilt.status, live.get("status")),
        ("agency", rebuilt.agency, live.get("agency")),
        ("last_sequence", rebuilt.last_sequence, live.get("last_sequence")),
        ("statuses", rebuilt.statuses, [s["status"] for s in live.get("timeline", [])]),
    ):
        if ours != theirs:
            found.append(f"{name}: log says {ours!r}, live view says {theirs!r}")
    return found
