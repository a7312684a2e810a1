"""No function in services/ or shared/ is longer than 80 lines, so each one can be read
at once. The functions listed in LONGER are the ones still over the limit: the list must
only shrink — a function on it may not grow, and one split below the limit must leave it
(the test says so), and no function may join it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 80

LONGER: dict[str, int] = {}


def function_lengths() -> dict[str, int]:
    """``path:name`` of every function over the limit, and its length in lines (a nested
    function's lines count in its own entry and in the one around it)."""
    found: dict[str, int] = {}
    for package in ("services", "shared"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                    if length > LIMIT:
                        name = f"{path.relative_to(ROOT)}:{node.name}"
                        found[name] = max(found.get(name, 0), length)
    return found


def test_no_function_is_longer_than_the_limit_unless_listed():
    unlisted = {name: n for name, n in function_lengths().items() if name not in LONGER}
    assert unlisted == {}, f"split these below {LIMIT} lines"


def test_a_listed_function_does_not_grow():
    grown = {
        name: (n, LONGER[name]) for name, n in function_lengths().items() if n > LONGER.get(name, n)
    }
    assert grown == {}, "(now, allowed): split them instead"


def test_the_list_only_names_functions_still_over_the_limit():
    stale = set(LONGER) - set(function_lengths())
    assert stale == set(), "these are short now: take them off LONGER"


BUILD_LIMIT = 50
"""A composition root's ``build(settings)`` only puts the service's parts (made by its
``build_parts``) together with its routes, subscriptions and lifespan: this many lines."""

BUILD_LONGER: dict[str, str] = {}
"""Services whose ``build`` is still longer, with the reason: the list only shrinks."""


def build_lengths() -> dict[str, int]:
    """Each service's ``build`` in ``services/<service>/app.py``, by service, in lines."""
    found: dict[str, int] = {}
    for path in sorted((ROOT / "services").glob("*/app.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "build":
                found[path.parent.name] = node.end_lineno - node.lineno + 1  # type: ignore[operator]
    return found


def test_every_service_has_a_build_to_measure():
    assert {"intake", "routing", "notify", "audit"} <= set(build_lengths())


def test_no_service_build_is_longer_than_fifty_lines_unless_named_with_its_reason():
    longer = {
        service: n
        for service, n in build_lengths().items()
        if n > BUILD_LIMIT and service not in BUILD_LONGER
    }
    assert longer == {}, f"make the parts in build_parts; build at most {BUILD_LIMIT} lines"


def test_a_service_named_as_longer_still_is():
    lengths = build_lengths()
    short = {s for s in BUILD_LONGER if lengths.get(s, 0) <= BUILD_LIMIT}
    assert short == set(), "these builds are short now: take them off BUILD_LONGER"
