"""The handler kinds, one module each, and the one table that names them.

A new kind is a new module here (a :class:`~services.routing.handler_kinds.kind.HandlerKind`
with its ``send`` and its initial delivery state), one line in :data:`KINDS`, and its
name in the catalogue's ``handler.kind`` (``shared/catalogue``); see docs/routing.md,
"Adding a handler kind".
"""

from services.routing.handler_kinds.kafka_inbox import KafkaInbox
from services.routing.handler_kinds.kind import AgencyBound, HandlerKind
from services.routing.handler_kinds.webhook import Webhook
from services.routing.handler_kinds.workbench import Workbench

__all__ = ["KINDS", "AgencyBound", "HandlerKind", "kind_of"]

KINDS: dict[str, HandlerKind] = {
    kind.name: kind
    for kind in (
        KafkaInbox(),
        Webhook(),
        Workbench(),
    )
}


def kind_of(application: dict | str | None) -> HandlerKind | None:
    """The kind an application was routed to (or the kind named); None before routing."""
    name = application.get("handler_kind") if isinstance(application, dict) else application
    return KINDS.get(name) if name else None
