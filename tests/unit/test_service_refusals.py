"""Notify's, audit's and identity's refusals: each rule a handler refuses by is a ``Rejected``
subclass, and each one answers its own problem from the service's one table."""

import ast
import inspect
from types import ModuleType

import pytest

from services.audit import api_handlers as audit_handlers
from services.audit import refusals as audit_refusals
from services.identity import refusals as identity_refusals
from services.identity import staff_admin as identity_staff_admin
from services.notify import api_handlers as notify_handlers
from services.notify import refusals as notify_refusals
from shared.errors import Rejected

DEFAULT_TITLE = "Permintaan ditolak / Request refused"
SERVICES = [
    (notify_handlers, notify_refusals),
    (audit_handlers, audit_refusals),
    (identity_staff_admin, identity_refusals),
]


def _raised(module: ModuleType) -> set[str]:
    """The names of the exceptions ``module`` raises by name (``raise X(...)``)."""
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        call = node.exc if isinstance(node, ast.Raise) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            names.add(call.func.id)
    return names


@pytest.mark.parametrize(("handlers", "refusals"), SERVICES)
def test_the_api_handlers_raise_refusals_never_problems(handlers, refusals):
    raised = _raised(handlers)
    assert raised, "the handlers refuse nothing the reading can see"
    assert "Problem" not in raised
    for name in raised:
        assert issubclass(getattr(refusals, name), Rejected), name


@pytest.mark.parametrize("refusals", [notify_refusals, audit_refusals, identity_refusals])
def test_each_refusal_answers_its_own_bilingual_problem_naming_what_was_asked(refusals):
    kinds = [getattr(refusals, name) for name in refusals.__all__]
    kinds = [k for k in kinds if isinstance(k, type) and issubclass(k, Rejected)]
    assert kinds
    for kind in kinds:
        problem = refusals.problem_for(kind("app-0042"))
        assert 400 <= problem.status < 500
        assert problem.title != DEFAULT_TITLE, f"{kind.__name__} is not in the table"
        indonesian, english = problem.title.split(" / ")
        assert indonesian
        assert english
        if issubclass(kind, LookupError):  # not found: the answer names what was asked
            assert "app-0042" in problem.detail


@pytest.mark.parametrize("refusals", [notify_refusals, audit_refusals, identity_refusals])
def test_a_refusal_no_table_names_still_answers_a_422_with_its_reason(refusals):
    problem = refusals.problem_for(Rejected("the rule that was broken"))
    assert problem.status == 422
    assert problem.title == DEFAULT_TITLE
    assert problem.detail == "the rule that was broken"
