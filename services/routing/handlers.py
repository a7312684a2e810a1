"""What routing does with the events it reads, one handler per event type.

Routing has three subscriptions. Submitted applications are routed a poll's run at a
time (:class:`~shared.messagebus.Batched`: one transaction for the run, the database
being the cost of routing; :func:`services.routing.dispatch.route`). Changes asked from
outside — an agency system's status report on its updates topic, a citizen's
cancellation or answer on the citizen-actions topic — each move one application through
the workflow (:func:`services.routing.workflow.change_status`); a citizen's complaint on
that topic is put before its agency (:mod:`services.routing.complaints.handling`). A
refusal by a rule (a foreign agency's report, an unknown application, an illegal
transition) is dead-lettered by the bus at once. Staff revocations on the staff topic —
identity disabled an account or reset its password — are recorded for the token check
(:class:`~services.routing.staff_access.StaffRevocations`): recording one twice changes
nothing.

Every handler takes its event and routing's unit of work
(:class:`~services.routing.parts.RoutingUnitOfWork`), through which it reaches what it
writes; the tables below name the handlers themselves.
"""

from services.routing.citizen_actions import answer, cancel
from services.routing.complaints.handling import on_complaint_filed
from services.routing.dispatch import route
from services.routing.parts import RoutingUnitOfWork
from services.routing.workflow import StatusChange, change_status
from shared.errors import Rejected
from shared.events import (
    AgencyStatusReported,
    ApplicationSubmitted,
    CancellationRequested,
    ComplaintFiled,
    InformationProvided,
    StaffAccessRevoked,
)
from shared.messagebus import Batched, HandlerTable

__all__ = [
    "ForeignReport",
    "ForeignRevocation",
    "change_handlers",
    "complaint_handlers",
    "on_agency_status_reported",
    "on_staff_access_revoked",
    "staff_handlers",
    "submission_handlers",
]


class ForeignReport(Rejected, ValueError):
    """A status report that came on one updates topic about something that is not its
    writer's: the topic it came on is the authority, never the body."""


async def on_agency_status_reported(event: AgencyStatusReported, uow: RoutingUnitOfWork) -> dict:
    """A report from an agency's system on its updates topic. The topic it came on names
    the writer — a system serving many offices, or an office on its own: a report whose
    body names an office the writer does not serve, or about another office's
    application, changes nothing and is refused."""
    agency = event.data.agency
    topic = uow.source(event).topic
    if topic != uow.topics.agency_updates(uow.catalogue.inbox_of(agency)):
        raise ForeignReport(
            f"a report naming agency {agency} arrived on {topic}; an agency "
            "reports only on its own updates topic, a system only for the offices it serves"
        )
    results: list[dict] = []
    if event.data.results:
        if uow.results is None:
            raise ForeignReport("this routing process keeps no result documents")
        results = await uow.results.drafts(agency, event.data.application_id, event.data.results)
    change = StatusChange(
        application_id=event.data.application_id,
        to=event.data.status,
        actor="agency",
        cause=event,
        source=topic,
        note=event.data.note,
        agency=agency,
        requested_fields=event.data.requested_fields,
        results=results,
    )
    return await change_status(uow, change)


class ForeignRevocation(Rejected, ValueError):
    """A staff revocation read anywhere but the staff topic, which only identity writes."""


async def on_staff_access_revoked(event: StaffAccessRevoked, uow: RoutingUnitOfWork) -> None:
    """Identity disabled a staff account or reset its password: the tokens issued before
    are refused from now on. Only the staff topic is believed — the bus already refuses
    the type anywhere else (:data:`shared.topics.EVENT_TYPES`); this says so again where
    the rule is used. Recording it twice, or out of order, changes nothing: the latest
    moment and the first disabling are kept."""
    topic = uow.source(event).topic
    if topic != uow.topics.staff:
        raise ForeignRevocation(f"a staff revocation arrived on {topic}, not on the staff topic")
    if uow.revocations is None:
        raise ForeignRevocation("this routing process checks no staff tokens")
    revoked = event.data
    await uow.revocations.record(
        revoked.username, revoked.tokens_valid_after, disabled=revoked.disabled
    )


def submission_handlers() -> HandlerTable:
    """Routing's subscription to submitted applications."""
    return {ApplicationSubmitted: Batched(route)}


def change_handlers() -> HandlerTable:
    """Routing's subscription to the changes asked from outside: agency systems' reports
    and citizens' actions."""
    return {
        AgencyStatusReported: on_agency_status_reported,
        CancellationRequested: cancel,
        InformationProvided: answer,
    }


def complaint_handlers() -> HandlerTable:
    """Citizens' complaints, read in the same subscription as their other actions (they
    come on the citizen-actions topic): each is put before its agency."""
    return {ComplaintFiled: on_complaint_filed}


def staff_handlers() -> HandlerTable:
    """Routing's subscription to the staff topic: identity's staff revocations."""
    return {StaffAccessRevoked: on_staff_access_revoked}
