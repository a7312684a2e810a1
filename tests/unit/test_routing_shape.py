"""Routing keeps each of its rules in one place, read from its source: the workflow's
guard in the workflow, the handler kinds in their table, the envelope in one builder."""

import ast
from pathlib import Path

from services.routing.handler_kinds import KINDS

ROUTING = Path(__file__).resolve().parents[2] / "services" / "routing"


def _modules() -> list[tuple[str, ast.AST]]:
    return [
        (str(path.relative_to(ROUTING)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(ROUTING.rglob("*.py"))
    ]


def _calls_named(tree: ast.AST, name: str) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    )


def test_the_workflows_guard_is_checked_in_the_workflow_alone():
    checking = {module for module, tree in _modules() if _calls_named(tree, "check_transition")}
    assert checking == {"workflow.py"}


def test_no_module_outside_the_kinds_table_branches_on_a_kind_name():
    names = set(KINDS)
    branching = set()
    for module, tree in _modules():
        if module.startswith("handler_kinds/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                compared = [node.left, *node.comparators]
                if any(isinstance(c, ast.Constant) and c.value in names for c in compared):
                    branching.add(f"{module}:{node.lineno}")
    assert branching == set()


def test_the_envelope_of_routings_events_is_built_by_one_function():
    def spells_source(node: ast.AST) -> bool:
        if isinstance(node, ast.keyword):
            return node.arg == "source" and _is_routing(node.value)
        if isinstance(node, ast.Dict):
            return any(
                isinstance(k, ast.Constant) and k.value == "source" and _is_routing(v)
                for k, v in zip(node.keys, node.values, strict=True)
            )
        return False

    building = {
        f"{module}:{node.lineno}"  # type: ignore[attr-defined]
        for module, tree in _modules()
        for node in ast.walk(tree)
        if spells_source(node)
    }
    assert [site.split(":")[0] for site in building] == ["announcements.py"]


def _is_routing(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "routing"
