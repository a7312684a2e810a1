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
