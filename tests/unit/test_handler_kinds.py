"""Handler kinds are plug-ins: the table names every kind the catalogue allows, and a new
kind registered in it takes applications with no change to dispatch, the workflow or the
citizens' actions (docs/routing.md, "Adding a handler kind")."""

from collections.abc import Mapping
from typing import Any, get_args

from services.routing.handler_kinds import KINDS, HandlerKind, kind_of
from services.routing.handler_kinds.kind import AgencyBound
from shared.catalogue import Handler
from shared.events import ApplicationDispatched, CancellationForwarded
from shared.unit_of_work import Transaction
from tests.unit.test_routing_handlers import (
    KAFKA,
    TOPICS,
    World,
    cancellation,
    submitted,
)


class Pull(HandlerKind):
    """The agency's own system pulls what it is sent; here, kept in a list."""

    name = "pull"
    initial_delivery_state = "awaiting_pickup"

    def __init__(self) -> None:
        self.sent_events: list[tuple[str, type]] = []
        self.woken = 0

    async def send(
        self, application: Mapping[str, Any], event: AgencyBound, tx: Transaction, uow: Any
    ) -> None:
        self.sent_events.append((application["_id"], type(event)))

    def sent(self, uow: Any) -> None:
        self.woken += 1


class Repointed:
    """The catalogue, with every agency taking its applications on ``kind``."""

    def __init__(self, catalogue: Any, kind: str) -> None:
        self._catalogue = catalogue
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalogue, name)

    def agency_for(self, service: str, region: str) -> Any:
        agency = self._catalogue.agency_for(service, region)
        handler = Handler.model_construct(kind=self._kind)
        return agency.model_copy(update={"handler": handler}) if agency else None


def test_the_table_names_exactly_the_kinds_the_catalogue_allows():
    assert set(KINDS) == set(get_args(Handler.model_fields["kind"].annotation))
    assert kind_of({"handler_kind": "webhook"}) is KINDS["webhook"]
    assert kind_of({"handler_kind": None}) is None


async def test_a_kind_added_to_the_table_is_dispatched_to_and_told_of_a_cancellation(
    monkeypatch,
):
    kind = Pull()
    monkeypatch.setitem(KINDS, "pull", kind)
    world = World()
    world.parts.catalogue = Repointed(world.parts.catalogue, "pull")  # type: ignore[assignment]
    event = submitted(KAFKA)

    uow = await world.route(event)

    stored = world.stored(event.subject)
    assert (stored["handler_kind"], stored["delivery_state"]) == ("pull", "awaiting_pickup")
    assert kind.sent_events == [(event.subject, ApplicationDispatched)]
    assert kind.woken == 1
    # The kinds it is not were not used: no inbox topic, no webhook delivery.
    assert [t for t, _ in uow.emitted if t.endswith(".inbox")] == []
    assert world.deliveries.scheduled == []

    await world.change(cancellation(event.subject), TOPICS.citizen_actions)
    assert kind.sent_events[-1] == (event.subject, CancellationForwarded)
    assert world.stored(event.subject)["status"] == "cancelled"
