"""Each MongoDB collection a service writes is written by one module of that service.

Read from the source, not run: every call of a write method (insert, update, delete,
replace, bulk_write, find_one_and_*) on a collection is attributed to the collection it
is made on — ``db["name"].update_one(...)``, or through a name bound to ``db["name"]``
in the same module (``self.rows = db["rows"]``, a property returning it), ``db.rows``, or
through an
attribute of that name bound so anywhere in the service (``accounts.accounts.update_one``
reaches the accounts repository's collection from outside it). Services have databases
of their own, so ``applications`` in intake and in routing are different collections.

A write made on a collection passed in as a parameter is not attributed (the module
that names the collection passes it); routing has none, so every write of routing's is
accounted for.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"

WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "replace_one",
        "bulk_write",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
    }
)

# (service, collection): the modules writing it besides its owner, and why. Every service
# has none today, and none may be added.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _literal_name(node: ast.AST) -> str | None:
    """``x["name"]`` or ``x.get_collection("name")``: the collection named."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value if isinstance(node.slice.value, str) else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_collection"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def _bound_name(node: ast.AST) -> str | None:
    """The name a collection is bound to: ``rows`` or ``self.rows``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}" if node.value.id == "self" else None
    return None


def _bindings(tree: ast.AST) -> dict[str, str]:
    """Names and ``self`` attributes bound to a collection in one module (assignments,
    and properties that return one)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            name = _literal_name(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                key = _bound_name(target)
                if name and key:
                    bound[key] = name
        if isinstance(node, ast.FunctionDef) and len(node.body) >= 1:
            last = node.body[-1]
            if isinstance(last, ast.Return) and last.value is not None:
                name = _literal_name(last.value)
                if name:
                    bound[f"self.{node.name}"] = name
    return bound


def _writes(path: Path, attributes: dict[str, str]) -> list[tuple[str | None, int]]:
    """(collection, line) of every write call in the module; None when unattributed."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound = _bindings(tree)
    found: list[tuple[str | None, int]] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
        ):
            continue
        target = node.func.value
        name = _literal_name(target) or bound.get(_bound_name(target) or "")
        if name is None and isinstance(target, ast.Attribute):
            name = attributes.get(target.attr)
            if name is None and isinstance(target.value, ast.Name) and "db" in target.value.id:
                name = target.attr  # db.rows
        found.append((name, node.lineno))
    return found


def _service_attributes(service: Path) -> dict[str, str]:
    """``self.<attribute>`` bound to a collection anywhere in the service, by attribute."""
    attributes: dict[str, str] = {}
    for path in service.rglob("*.py"):
        for key, name in _bindings(ast.parse(path.read_text(encoding="utf-8"))).items():
            if key.startswith("self."):
                attributes[key.removeprefix("self.")] = name
    return attributes


def writers(service: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Each collection the service writes, with the modules writing it; and the write
    call sites not attributed to a collection (``path:line``)."""
    attributes = _service_attributes(service)
    modules: dict[str, set[str]] = defaultdict(set)
    unattributed: list[str] = []
    for path in sorted(service.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for name, line in _writes(path, attributes):
            if name is None:
                unattributed.append(f"{where}:{line}")
            else:
                modules[name].add(where)
    return modules, unattributed


def _services() -> list[Path]:
    return sorted(p for p in SERVICES.iterdir() if (p / "__init__.py").exists())


def test_each_collection_a_service_writes_is_written_by_one_module():
    shared_writes = {}
    for service in _services():
        modules, _ = writers(service)
        for name, where in modules.items():
            if len(where) > 1 and (service.name, name) not in EXCEPTIONS:
                shared_writes[f"{service.name}:{name}"] = sorted(where)
    assert shared_writes == {}, (
        "a collection is written from more than one module; give the writes to the module "
        f"that owns it: {shared_writes}"
    )


def test_every_listed_exception_is_still_true_so_the_list_only_shrinks():
    stale = []
    for service_name, name in EXCEPTIONS:
        assert service_name != "routing", "routing's collections have one writer each"
        if not (SERVICES / service_name).is_dir():
            continue  # the service's collections went with it
        modules, _ = writers(SERVICES / service_name)
        if len(modules.get(name, ())) < 2:
            stale.append((service_name, name))
    assert stale == [], f"no longer written by several modules; remove from EXCEPTIONS: {stale}"


@pytest.mark.parametrize("service", ["identity", "routing", "notify", "audit"])
def test_every_write_of_a_reshaped_service_is_attributed_to_its_collection(service):
    _, unattributed = writers(SERVICES / service)
    assert unattributed == []


def test_the_scan_finds_routings_owners_where_they_are():
    modules, _ = writers(SERVICES / "routing")
    # The owners, as the scan sees them: it finds the writes it is meant to find.
    assert modules["applications"] == {"services/routing/applications.py"}
    assert modules["deliveries"] == {"services/routing/webhooks.py"}
    assert modules["workbench_notes"] == {"services/routing/web/desk.py"}
    assert modules["results"] == {"services/routing/results.py"}


def test_the_scan_sees_a_second_writer_in_another_module(tmp_path):
    service = tmp_path / "svc"
    service.mkdir()
    (service / "store.py").write_text(
        "class Store:\n"
        "    def __init__(self, db):\n"
        "        self.rows = db['rows']\n"
        "    async def add(self, row):\n"
        "        await self.rows.insert_one(row)\n"
    )
    (service / "sweep.py").write_text(
        "async def sweep(db, store):\n"
        "    await db['rows'].delete_many({})\n"
        "    await store.rows.update_many({}, {})\n"
        "    await db.notes.delete_one({})\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        modules, unattributed = writers(service)
    finally:
        ROOT = saved
    assert modules == {"rows": {"svc/store.py", "svc/sweep.py"}, "notes": {"svc/sweep.py"}}
    assert unattributed == []
