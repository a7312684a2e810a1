"""Each MongoDB collection is written by one module of its service.

A static reading of every module under ``services/<name>/``: each call that writes
(``insert_one``, ``update_many``, ``bulk_write``, ``delete_one`` …) is traced to the
collection it writes — opened by name on the same line (``db["deliveries"].insert_one``)
or bound to a name in the same module (``self._deliveries = db["deliveries"]``) — and
the writers are grouped by service and collection. One module per collection means a
rule about what may change a document (a guard, an index, a retention period) is read
in one place; every other module reaches the collection through that one's methods.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "bulk_write",
        "delete_one",
        "delete_many",
        "drop",
    }
)

KNOWN_SHARED_WRITERS: dict[str, dict[str, frozenset[str]]] = {
    # Intake writes these collections from more than one module, and some writes go
    # to a collection handed in from elsewhere. Each entry names the modules allowed,
    # so a new writer still fails; an entry is removed once its collection has one
    # owner.
    "intake": {
        "account_history": frozenset({"account_history.py", "data_rights.py"}),
        "accounts": frozenset({"accounts.py", "data_rights.py", "nik_ownership.py", "sessions.py"}),
        "drafts": frozenset({"data_rights.py", "drafts.py", "retention.py"}),
        "nik_owners": frozenset({"data_rights.py", "nik_ownership.py"}),
        "refresh_tokens": frozenset({"retention.py", "sessions.py"}),
        "sessions": frozenset({"retention.py", "sessions.py"}),
        "?": frozenset(
            {"code_attempts.py", "counter_profile.py", "idempotency.py", "recovery_api.py"}
        ),
    },
    # Routing: its retention sweeps and two other modules write collections owned
    # elsewhere; webhooks write a collection handed in.
    "routing": {
        "deliveries": frozenset({"operator_actions.py", "retention.py"}),
        "results": frozenset({"results.py", "retention.py"}),
        "workbench_notes": frozenset({"retention.py", "web/desk.py"}),
        "?": frozenset({"webhooks.py"}),
    },
}
"""Collections written by more than one module (``"?"``: modules whose writes could
not be traced to a collection), by service; notify and audit have none."""


def _name(node: ast.expr) -> str | None:
    """The last name of ``x``, ``self.x`` or ``a.b.x``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _collection(node: ast.expr | None) -> str | None:
    """The collection ``node`` opens by name: ``db["name"]``, ``get_collection("name")``."""
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


def _bound_collections(tree: ast.Module) -> dict[str, str]:
    """Names bound to a collection in the module (``self._x = db["x"]``, ``a, b = …``)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            pairs: list[tuple[ast.expr, ast.expr | None]] = []
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs += zip(target.elts, node.value.elts, strict=False)
                else:
                    pairs.append((target, node.value))
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        else:
            continue
        for target, value in pairs:
            collection, name = _collection(value), _name(target)
            if collection and name:
                bound[name] = collection
    return bound


def written_collections(source: str) -> list[tuple[str, int]]:
    """Each write call in ``source``: the collection it writes ("?" when it cannot be
    traced) and its line."""
    tree = ast.parse(source)
    bound = _bound_collections(tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITES:
            continue
        receiver = node.func.value
        name = _name(receiver)
        collection = _collection(receiver) or (bound.get(name) if name else None)
        found.append((collection or "?", node.lineno))
    return found


def writers(services: Path) -> dict[str, dict[str, set[str]]]:
    """service → collection → the modules (relative to the service) that write it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for service in sorted(p for p in services.iterdir() if p.is_dir()):
        for module in service.rglob("*.py"):
            for collection, _line in written_collections(module.read_text()):
                found[service.name][collection].add(module.relative_to(service).as_posix())
    return found


def test_each_collection_is_written_by_one_module_of_its_service():
    shared_writers = []
    for service, collections in writers(ROOT / "services").items():
        known = KNOWN_SHARED_WRITERS.get(service, {})
        for collection, modules in collections.items():
            allowed = known.get(collection, frozenset())
            if collection == "?" and not modules <= allowed:
                shared_writers.append(f"{service}: untraced writes in {sorted(modules - allowed)}")
            elif collection != "?" and len(modules) > 1 and not modules <= allowed:
                shared_writers.append(f"{service}.{collection}: written by {sorted(modules)}")
    assert shared_writers == []


def test_notify_and_audit_have_no_collection_written_by_two_modules():
    assert set(KNOWN_SHARED_WRITERS) <= {"intake", "routing"}
    found = writers(ROOT / "services")
    for service in ("notify", "audit"):
        assert found[service], f"{service} writes nothing the reading can see"
        for collection, modules in found[service].items():
            assert collection != "?", f"{service}: untraced writes in {sorted(modules)}"
            assert len(modules) == 1, f"{service}.{collection}: written by {sorted(modules)}"


def test_notifys_collections_each_have_their_store():
    owners = {c: m for c, (m,) in writers(ROOT / "services")["notify"].items()}
    assert owners["notifications"] == "inbox.py"
    assert owners["deliveries"] == "delivery_store.py"


def test_a_second_module_writing_a_collection_is_found(tmp_path: Path):
    service = tmp_path / "shop"
    service.mkdir()
    (service / "orders.py").write_text(
        "class Orders:\n"
        "    def __init__(self, db):\n"
        "        self._orders = db['orders']\n"
        "    async def add(self, order, session):\n"
        "        await self._orders.insert_one(order, session=session)\n"
    )
    (service / "refunds.py").write_text(
        "async def refund(db, order_id):\n"
        "    orders, refunds = db['orders'], db['refunds']\n"
        "    await orders.update_one({'_id': order_id}, {'$set': {'refunded': True}})\n"
        "    await refunds.insert_one({'_id': order_id})\n"
    )
    found = writers(tmp_path)["shop"]
    assert found["orders"] == {"orders.py", "refunds.py"}
    assert found["refunds"] == {"refunds.py"}


def test_a_write_to_a_collection_handed_in_is_untraced_not_ignored():
    source = "async def touch(collection):\n    await collection.update_one({}, {})\n"
    assert written_collections(source) == [("?", 2)]
