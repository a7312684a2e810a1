"""The status workflow routing enforces; the table itself lives in :mod:`shared.workflow`
so the audit's state rebuild folds history through the very same rules."""

from shared.workflow import (
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    WORKFLOW_VERSION,
    Actor,
    IllegalTransition,
    allowed_next,
    check_transition,
)

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
