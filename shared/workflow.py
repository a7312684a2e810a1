"""The status workflow: which status may follow which, and who may cause it.

Pure data and functions — no I/O — so it is the single source of truth for routing
(which enforces it), the audit's state rebuild (which folds history through it) and
the tests. It lives in ``shared`` because services never import one another. The
version is pinned on each application when it is routed.
"""

from typing import Literal

__all__ = [
    "STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "WORKFLOW_VERSION",
    "Actor",
    "IllegalTransition",
    "allowed_next",
    "check_transition",
]

WORKFLOW_VERSION = 1

Actor = Literal["system", "agency", "citizen"]

STATUSES = (
    "submitted",
    "routed",
    "received",
    "in_review",
    "needs_info",
    "resubmitted",
    "approved",
    "rejected",
    "completed",
    "cancelled",
    "routing_failed",
)

# from status -> {to status: actors allowed to cause it}
TRANSITIONS: dict[str, dict[str, frozenset[Actor]]] = {
    "submitted": {
        "routed": frozenset({"system"}),
        "routing_failed": frozenset({"system"}),
        "cancelled": frozenset({"citizen"}),
    },
    "routing_failed": {"routed": frozenset({"system"}), "cancelled": frozenset({"citizen"})},
    "routed": {
        "received": frozenset({"agency"}),
        "cancelled": frozenset({"citizen"}),
    },
    "received": {
        "in_review": frozenset({"agency"}),
        "needs_info": frozenset({"agency"}),
        "rejected": frozenset({"agency"}),
        "cancelled": frozenset({"citizen"}),
    },
    "in_review": {
        "needs_info": frozenset({"agency"}),
        "approved": frozenset({"agency"}),
        "rejected": frozenset({"agency"}),
    },
    "needs_info": {
        "resubmitted": frozenset({"citizen"}),
        "cancelled": frozenset({"citizen"}),
        "rejected": frozenset({"agency"}),
    },
    "resubmitted": {
        "in_review": frozenset({"agency"}),
        "needs_info": frozenset({"agency"}),
    },
    "approved": {"completed": frozenset({"agency"})},
    "rejected": {},
    "completed": {},
    "cancelled": {},
}

TERMINAL = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)


class IllegalTransition(ValueError):
    def __init__(self, current: str, to: str, actor: Actor, allowed: list[str]) -> None:
        super().__init__(
            f"{actor} cannot move an application from {current} to {to}; "
            f"allowed next: {', '.join(allowed) or 'none (final status)'}"
        )
        self.current = current
        self.to = to
        self.allowed = allowed


def allowed_next(current: str, actor: Actor) -> list[str]:
    return [to for to, actors in TRANSITIONS.get(current, {}).items() if actor in actors]


def check_transition(current: str, to: str, actor: Actor) -> None:
    """Raise :class:`IllegalTransition` unless ``actor`` may move ``current`` to ``to``."""
    if actor not in TRANSITIONS.get(current, {}).get(to, frozenset()):
        raise IllegalTransition(current, to, actor, allowed_next(current, actor))
