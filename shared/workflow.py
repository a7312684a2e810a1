"""The status workflow: which status may follow which, and who may cause it.

Pure data and functions — no I/O — so it is the single source of truth for routing
(which enforces it), the audit's state rebuild (which folds history through it) and
the tests. It lives in ``shared`` because services never import one another. The
version is pinned on each application when it is routed.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from shared.errors import Rejected

__all__ = [
    "CANCELLABLE",
    "DECIDED",
    "DECISIONS",
    "FULFILLED",
    "ISSUING",
    "LAPSED",
    "SETTLED",
    "STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "WITHDRAWN",
    "WORKFLOW",
    "WORKFLOW_VERSION",
    "Actor",
    "IllegalTransition",
    "Workflow",
    "allowed_next",
    "check_transition",
]

WORKFLOW_VERSION = 1

Actor = Literal["system", "agency", "citizen"]

STATUSES = (
    "submitted",
    "payment_due",
    "payment_expired",
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
        "payment_due": frozenset({"system"}),
        "cancelled": frozenset({"citizen"}),
    },
    # A fee due before the agency starts: held, unseen by the agency, until the bill is
    # paid (then routed) or expires. The SLA clock has not started.
    "payment_due": {
        "routed": frozenset({"system"}),
        "payment_expired": frozenset({"system"}),
        "cancelled": frozenset({"citizen"}),
    },
    # The bill expired unpaid: final. The agency never saw the application and its SLA
    # clock never started; a citizen who still needs the service applies again (a new
    # application, a new bill), as a payment service ends an expired payment.
    "payment_expired": {},
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

FULFILLED = "completed"
"""The final status in which the citizen got what was asked for (the one fact about
outcomes the table above cannot tell: it does not know a completion from a rejection)."""

Transitions = Mapping[str, Mapping[str, frozenset[Actor]]]


@dataclass(frozen=True)
class Workflow:
    """The sets of statuses every service asks about, read off a transition table, so a
    status added to the table joins the right sets without anyone typing it again."""

    transitions: Transitions
    fulfilled: str = FULFILLED

    def statuses_where(
        self, test: Callable[[str, Mapping[str, frozenset[Actor]]], bool]
    ) -> frozenset[str]:
        """The statuses whose row (``{next status: actors}``) passes ``test``."""
        return frozenset(
            status for status, nexts in self.transitions.items() if test(status, nexts)
        )

    def causes(self, status: str) -> list[frozenset[Actor]]:
        """Who may move an application into ``status``, one entry per status it comes from."""
        return [nexts[status] for nexts in self.transitions.values() if status in nexts]

    def reachable(self, status: str) -> frozenset[str]:
        """Every status that can follow ``status``, directly or later (not itself)."""
        seen: set[str] = set()
        todo = list(self.transitions.get(status, {}))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += self.transitions.get(current, {})
        return frozenset(seen)

    @cached_property
    def terminal(self) -> frozenset[str]:
        """Final statuses: nothing follows them."""
        return self.statuses_where(lambda _, nexts: not nexts)

    @cached_property
    def withdrawn(self) -> frozenset[str]:
        """Final statuses only the citizen causes (``cancelled``): the citizen withdrew."""
        return frozenset(
            status
            for status in self.terminal
            if self.causes(status) and all(a == {"citizen"} for a in self.causes(status))
        )

    @cached_property
    def lapsed(self) -> frozenset[str]:
        """Final statuses only the system causes (``payment_expired``): the application
        ended because nobody acted in time, not by a decision or a withdrawal."""
        return frozenset(
            status
            for status in self.terminal
            if self.causes(status) and all(a == {"system"} for a in self.causes(status))
        )

    def outcomes(self, status: str) -> frozenset[str]:
        """The final statuses an application in ``status`` can still end in."""
        return frozenset(s for s in self.reachable(status) | {status} if s in self.terminal)

    @cached_property
    def settled(self) -> frozenset[str]:
        """Statuses with one possible outcome left: it is known and the SLA clock has
        stopped (``approved``, which only a completion follows, and the final statuses)."""
        return self.statuses_where(lambda status, _: len(self.outcomes(status)) == 1)

    @cached_property
    def decided(self) -> frozenset[str]:
        """Settled statuses whose outcome the agency decided (not a withdrawal, nor a
        lapse)."""
        undecided = self.withdrawn | self.lapsed
        return frozenset(s for s in self.settled if not self.outcomes(s) & undecided)

    @cached_property
    def decisions(self) -> frozenset[str]:
        """The statuses in which the agency decides: its steps from an open status into a
        settled one (``approved``, ``rejected``; ``completed`` follows an approval)."""
        return frozenset(
            to
            for status, nexts in self.transitions.items()
            if status not in self.settled
            for to, actors in nexts.items()
            if to in self.settled and "agency" in actors
        )

    @cached_property
    def issuing(self) -> frozenset[str]:
        """Decided statuses on the way to :data:`FULFILLED`: result documents may go with
        them (``approved``, ``completed``)."""
        return frozenset(
            status
            for status in self.decided
            if status == self.fulfilled or self.fulfilled in self.reachable(status)
        )

    @cached_property
    def cancellable(self) -> frozenset[str]:
        """Statuses from which the citizen may withdraw."""
        return self.statuses_where(
            lambda _, nexts: any(
                to in self.withdrawn and "citizen" in actors for to, actors in nexts.items()
            )
        )


WORKFLOW = Workflow(TRANSITIONS)
TERMINAL = WORKFLOW.terminal
WITHDRAWN = WORKFLOW.withdrawn
LAPSED = WORKFLOW.lapsed
SETTLED = WORKFLOW.settled
DECIDED = WORKFLOW.decided
DECISIONS = WORKFLOW.decisions
ISSUING = WORKFLOW.issuing
CANCELLABLE = WORKFLOW.cancellable


class IllegalTransition(Rejected, ValueError):
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
