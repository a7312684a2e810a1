"""The status workflow routing enforces, and the one way an application moves through it.

The table itself lives in :mod:`shared.workflow`, so the audit's state rebuild folds
history through the very same rules. Every move — an agency system's report, the agency
API and its workbench, a citizen's cancellation or answer, an operator's re-route — is a
:class:`StatusChange` handed to :func:`change_status`, which checks it against that
table (the only place routing does) and writes it in one unit of work: the application's
new state, the dashboard's counters, the status event, the result documents issued with
it, and whatever the caller adds in the same transaction (:attr:`StatusChange.within`).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.routing.announcements import document_issued, envelope, status_changed
from services.routing.dashboard_counts import CLOSED, difference
from services.routing.handler_kinds import kind_of
from services.routing.payments.release import owe_on_approval, refuse_unpaid_release
from shared.errors import Rejected
from shared.events import Event, ResultDocument
from shared.mongo import insert_first
from shared.unit_of_work import Transaction
from shared.workflow import (
    DECISIONS,
    ISSUING,
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    WORKFLOW_VERSION,
    Actor,
    IllegalTransition,
    allowed_next,
    check_transition,
)

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = [
    "STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "WORKFLOW_VERSION",
    "Actor",
    "ChangeHook",
    "ConcurrentChange",
    "IllegalTransition",
    "NotIssuing",
    "StatusChange",
    "StatusMoved",
    "UnknownApplication",
    "allowed_next",
    "change_status",
    "check_transition",
]


class UnknownApplication(Rejected, LookupError):
    """No such application, or not the asking agency's or citizen's."""


class NotIssuing(Rejected, ValueError):
    """Result documents offered with a status that does not issue them."""


class StatusMoved(Rejected):
    """The application is no longer in the status the change starts from."""

    def __init__(self, application_id: str, current: str) -> None:
        super().__init__(f"application {application_id} is {current} now")
        self.current = current


class ConcurrentChange(RuntimeError):
    """Another writer moved the application after this transaction read it (taken again
    by the caller's retries)."""


ChangeHook = Callable[[dict, Transaction], Awaitable[None]]
"""More work in a status change's transaction, given the application as it is after the
change (it emits more events with ``tx.emit``). Runs only when the change is applied."""


@dataclass(frozen=True)
class StatusChange:
    """One application to move to ``to``, asked by ``actor`` because of ``cause``."""

    application_id: str
    to: str
    actor: Actor
    cause: Event
    """What asks for the change: its id makes it happen once, its correlation id travels
    on, its time is the change's."""
    source: str | None
    """Where the cause came from (its topic, or the agency API's caller,
    :func:`services.routing.seen.api_source`): the same cause twice from there changes
    nothing. None for a command that is never replayed (its guard is :attr:`expected`)."""
    note: str | None = None
    agency: str | None = None
    """When set, the application must be this agency's (else :class:`UnknownApplication`)."""
    citizen_id: str | None = None
    """When set, the application must be this citizen's (else :class:`UnknownApplication`)."""
    expected: str | None = None
    """When set, the status the change starts from; any other is :class:`StatusMoved`."""
    requested_fields: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    """Draft result documents (:class:`~services.routing.results.ResultStore`) issued
    with the change, allowed only with a status that issues them."""
    sets: Mapping[str, Any] = field(default_factory=dict)
    """More fields the change stores on the application (a re-route's agency)."""
    within: ChangeHook | None = None


async def change_status(uow: "RoutingUnitOfWork", change: StatusChange) -> dict:
    """Apply ``change`` in ``uow``; returns the application as it is now (unchanged when
    the cause was seen before from its source, or the status is already ``to``).

    The cause is recorded as seen without looking first; one seen before makes the first
    run fail on its duplicate key, and the second looks
    (:meth:`~services.routing.seen.SeenEvents.looking_first`). After the commit, the
    application's handler kind is told (a webhook agency's delivery loop is woken)."""

    async def write(tx: Transaction) -> dict:
        return await _apply(uow, change, tx)

    async def run(look_first: bool) -> dict:
        with uow.seen.looking_first(look_first):
            return await uow.run(write)

    updated = await insert_first(run)
    kind = kind_of(updated)
    if kind is not None:
        kind.sent(uow)
    return updated


async def _apply(uow: "RoutingUnitOfWork", change: StatusChange, tx: Transaction) -> dict:
    if change.results and change.to not in ISSUING:
        raise NotIssuing(
            f"result documents are issued with {' or '.join(sorted(ISSUING))}, not {change.to}"
        )
    application = await uow.applications.get(change.application_id, tx.session)
    _check_owner(application, change)
    assert application is not None
    if change.source is not None and not await uow.seen.first_time(
        change.cause, tx.session, change.source
    ):
        return application
    current = application["status"]
    if change.expected is not None and current != change.expected:
        raise StatusMoved(change.application_id, current)
    if current == change.to:  # the same report twice: already applied
        return application
    check_transition(current, change.to, change.actor)
    refuse_unpaid_release(application, change.to)
    changes = _changes(application, change)
    changes.update(await owe_on_approval(uow, application, change.to, tx))
    cause = change.cause
    around = envelope(application, cause)
    issued = await _issue(uow, application, change.results, cause.time, changes, tx)
    after = await _write(uow, application, changes, tx)
    changed = status_changed(
        after,
        around,
        from_status=current,
        to_status=change.to,
        sequence=changes["sequence"],
        actor=change.actor,
        note=change.note,
        requested_fields=change.requested_fields,
        results=issued,
    )
    tx.emit(uow.topics.status, changed)
    for result in issued:
        tx.emit(uow.topics.documents, document_issued(after, result, around))
    if change.within is not None:
        await change.within(after, tx)
    return after


def _check_owner(application: dict | None, change: StatusChange) -> None:
    """Another agency's or another citizen's application is as good as none."""
    agency, citizen = change.agency, change.citizen_id
    if agency is not None and (application is None or application["agency"] != agency):
        raise UnknownApplication(
            f"application {change.application_id} is not handled by agency {agency}"
        )
    if citizen is not None and (application is None or application["citizen_id"] != citizen):
        raise UnknownApplication(
            f"application {change.application_id} is not the requesting citizen's"
        )
    if application is None:
        raise UnknownApplication(f"application {change.application_id} does not exist")


def _changes(application: dict, change: StatusChange) -> dict[str, Any]:
    at = change.cause.time
    changes: dict[str, Any] = {
        "status": change.to,
        "sequence": application["sequence"] + 1,
        "updated_at": at,
    }
    if change.to == "needs_info":
        changes["requested_fields"] = change.requested_fields
    if change.to in DECISIONS and not application.get("decided_at"):
        # The dashboard's time to decision ends here, not at a later completion.
        changes["decided_at"] = at
    changes.update(change.sets)
    return changes


async def _issue(
    uow: "RoutingUnitOfWork",
    application: dict,
    results: list[dict],
    at: datetime,
    changes: dict[str, Any],
    tx: Transaction,
) -> list[ResultDocument]:
    """Issue the drafts named with the change; they join the application's results."""
    if not results or uow.results is None:
        return []
    issued = await uow.results.issue(results, at, tx.session)
    changes["results"] = [
        *application.get("results", []),
        *(r.model_dump(mode="json") for r in issued),
    ]
    return issued


async def _write(
    uow: "RoutingUnitOfWork", application: dict, changes: dict[str, Any], tx: Transaction
) -> dict:
    """Store the change (guarded by the sequence read) and move the counters."""
    after = {**application, **changes}
    unset = []
    if changes["status"] in CLOSED:  # the SLA clock stops: out of the sweep's index
        unset.append("sla_open")
        after.pop("sla_open", None)
    if not await uow.applications.update_status(application, changes, tx.session, unset=unset):
        raise ConcurrentChange(f"application {application['_id']} changed meanwhile")
    if application.get("counted"):
        await uow.counts.add(difference(application, after), tx.session)
    return after
