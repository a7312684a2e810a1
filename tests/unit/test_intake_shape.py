"""Intake keeps the one shape, read from its source and its parts: outside its routes no
module words an HTTP problem (its refusals are ``Rejected`` subclasses, worded once in
``refusals.py``), no command carries a store, and its parts are made once, by
``build_parts``, for the service and for ``mpp``."""

import ast
import dataclasses
import importlib
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.intake import refusals
from services.intake.app import build
from services.intake.applications import NewApplication
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import IdempotencyStore
from services.intake.parts import IntakeParts, IntakeUnitOfWork, build_parts
from shared.errors import Rejected
from shared.problems import Problem
from shared.runtime import Runtime
from shared.settings import Settings
from shared.unit_of_work import Transaction, UnitOfWork, UnitsOfWork

INTAKE = Path(__file__).resolve().parents[2] / "services" / "intake"

ROUTE_SIDE = {"api.py", "app.py", "callers.py", "deps.py", "refusals.py"}
"""Where HTTP is spoken besides ``*_api.py`` and ``web/``: the applications' routes, the
composition root (its outage handlers), who is calling, the routes' dependencies, and
the one table of refusals' problems."""

PROBLEM_WORDS = {"Problem", "HTTPException", "problem_response", "key_reused"}
"""What makes or raises an HTTP answer."""

FAULTS = {"RuntimeError", "DuplicateKeyError", "ValueError"}
"""What a module may raise besides a refusal: faults, never answers (and a pydantic
validator's ``ValueError``, which the model's own validation error reports)."""


def _domain_modules() -> dict[str, ast.AST]:
    found = {}
    for path in sorted(INTAKE.rglob("*.py")):
        name = str(path.relative_to(INTAKE))
        if name.startswith("web/") or name.endswith("_api.py") or name in ROUTE_SIDE:
            continue
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _problem_words(tree: ast.AST) -> set[str]:
    """Where ``tree`` names something that makes an HTTP answer (a call or an import)."""
    spoken = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in PROBLEM_WORDS:
                spoken.add(f"{name}():{node.lineno}")
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in PROBLEM_WORDS:
                    spoken.add(f"import {alias.name}:{node.lineno}")
    return spoken


def _raised(tree: ast.AST) -> set[str]:
    """The names of the exceptions ``tree`` raises by name (``raise X(...)``)."""
    names = set()
    for node in ast.walk(tree):
        call = node.exc if isinstance(node, ast.Raise) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            names.add(call.func.id)
    return names


def test_the_reading_sees_a_problem_raised_or_imported():
    spoken = _problem_words(
        ast.parse("from shared.problems import Problem\nraise Problem(400, 'a / b', 'c')\n")
    )
    assert spoken == {"import Problem:1", "Problem():2"}


def test_no_intake_module_outside_its_routes_words_an_http_problem():
    modules = _domain_modules()
    assert {"submissions.py", "submitters.py", "idempotency.py", "batches.py"} <= set(modules)
    speaking = {name: words for name, tree in modules.items() if (words := _problem_words(tree))}
    assert speaking == {}, "raise a refusal from services/intake/refusals.py instead"


def _raised_kind(module_name: str, raised: str) -> Any:
    """The exception class ``raise raised(...)`` raises in the module: the class itself,
    or what the function of that name returns."""
    module = importlib.import_module("services.intake." + module_name[:-3].replace("/", "."))
    found = getattr(module, raised, None)
    if callable(found) and not isinstance(found, type):
        return typing.get_type_hints(found).get("return")
    return found


def test_what_intake_modules_raise_is_a_refusal_worded_in_the_one_table_or_a_fault():
    for name, tree in _domain_modules().items():
        for raised in _raised(tree) - FAULTS:
            kind = _raised_kind(name, raised)
            assert isinstance(kind, type), f"{name} raises {raised}, not a refusal"
            assert issubclass(kind, Rejected | refusals.Unavailable), f"{name}: {raised}"
            assert getattr(refusals, kind.__name__, None) is kind, f"{kind} not in refusals"


EXAMPLES: dict[type[Exception], Exception] = {
    refusals.InvalidForm: refusals.InvalidForm([{"field": "data.reason", "message": "x"}]),
    refusals.DocumentsNotUploaded: refusals.DocumentsNotUploaded(
        [{"field": "documents.0", "message": "not uploaded"}]
    ),
    refusals.OutsideRegion: refusals.OutsideRegion("3576"),
    refusals.TooManyRequests: refusals.TooManyRequests(2.5),
    refusals.IdentityRefused: refusals.IdentityRefused(403, "Belum terbukti / Not proven", "x"),
    refusals.NotInThisStatus: refusals.NotInThisStatus("approved", "cancelling", "routed"),
    refusals.ResultRevoked: refusals.ResultRevoked("Dicabut / Revoked", "x"),
    refusals.OffsetMismatch: refusals.OffsetMismatch(10, 0),
    refusals.BeyondUploadLength: refusals.BeyondUploadLength(10),
    refusals.KeyInvalid: refusals.KeyInvalid(255),
    refusals.DocumentTooLarge: refusals.DocumentTooLarge(10_485_760),
}


def _kinds() -> list[type[Exception]]:
    return [
        kind
        for name in refusals.__all__
        if isinstance(kind := getattr(refusals, name), type)
        and issubclass(kind, Rejected | refusals.Unavailable)
        and kind is not refusals.Unavailable
    ]


@pytest.mark.parametrize("kind", _kinds(), ids=lambda kind: kind.__name__)
def test_each_refusal_answers_its_own_bilingual_problem(kind):
    refusal = EXAMPLES.get(kind) or kind("app-0042")
    problem = refusals.problem_for(refusal)  # type: ignore[arg-type]
    if issubclass(kind, refusals.Unavailable):
        assert problem.status == 503
        assert "Retry-After" in (problem.headers or {})
    else:
        assert 400 <= problem.status < 500
    assert problem.title != "Permintaan ditolak / Request refused", f"{kind.__name__} unlisted"
    indonesian, english = problem.title.split(" / ")
    assert indonesian
    assert english


def test_a_reused_key_is_refused_in_the_words_every_service_uses():
    from shared.idempotency import key_reused

    problem = refusals.problem_for(refusals.KeyReused("citizen:k1"))
    assert (problem.status, problem.title, problem.detail) == (
        key_reused().status,
        key_reused().title,
        key_reused().detail,
    )


STORES = (
    AsyncCollection,
    AsyncDatabase,
    IdempotencyStore,
    GroupCommit,
    UnitOfWork,
    UnitsOfWork,
    Runtime,
)


def _is_store(kind: Any) -> bool:
    return isinstance(kind, type) and (
        issubclass(kind, STORES) or callable(getattr(kind, "create_indexes", None))
    )


def _stores_carried(kind: type, seen: set[type] | None = None) -> set[str]:
    """The fields of ``kind`` (and of the values it holds, all the way down) whose type
    is a store."""
    seen = seen if seen is not None else set()
    if kind in seen:
        return set()
    seen.add(kind)
    if dataclasses.is_dataclass(kind) or (isinstance(kind, type) and issubclass(kind, BaseModel)):
        hints = typing.get_type_hints(kind)
    else:
        return set()
    carried = set()
    for name, hint in hints.items():
        for part in {hint, *_args(hint)}:
            if _is_store(part):
                carried.add(f"{kind.__name__}.{name}")
            elif isinstance(part, type):
                carried |= _stores_carried(part, seen)
    return carried


def _args(hint: Any) -> set[Any]:
    found = set()
    for arg in typing.get_args(hint):
        found |= {arg, *_args(arg)}
    return found


def _commands() -> dict[str, type]:
    """Every type a function of intake takes as its ``command``."""
    found: dict[str, type] = {}
    for path in sorted(INTAKE.glob("*.py")):
        if path.stem == "__main__":  # runs the service
            continue
        module = importlib.import_module(f"services.intake.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = (node.args.args or [None])[0]
                if first is not None and first.arg == "command":
                    annotation = first.annotation
                    if isinstance(annotation, ast.Name):
                        found[annotation.id] = getattr(module, annotation.id)
    return found


def test_the_reading_sees_a_store_a_command_carries():
    @dataclasses.dataclass
    class KeyRecord:
        keys: IdempotencyStore
        record_id: str

    @dataclasses.dataclass
    class Carrying:
        remember: KeyRecord | None

    assert _stores_carried(Carrying) == {"KeyRecord.keys"}


def test_no_command_of_intake_carries_a_store():
    commands = _commands()
    assert {
        "Submit",
        "SubmitForm",
        "RequestCancellation",
        "ProvideInformation",
        "OpenLinkedDocument",
    } <= set(commands)
    carrying = {name: found for name, kind in commands.items() if (found := _stores_carried(kind))}
    assert carrying == {}, "a command is a value: hand the store to the handler instead"
    assert _stores_carried(NewApplication) == set()


class _Keys(IdempotencyStore):
    def __init__(self, collection: str) -> None:
        super().__init__({collection: None}, ttl_hours=1, collection=collection)  # type: ignore[arg-type]
        self.added: list[list[dict[str, Any]]] = []

    async def add(self, records: list[dict[str, Any]], session: Any) -> None:
        self.added.append(records)


class _Counters:
    async def take(self, counter: str, count: int) -> int:
        return 0


class _Applications:
    async def add(self, applications: list[Any], session: Any) -> None:
        pass


class _Units:
    def __call__(self) -> "_Units":
        return self

    async def run(self, work: Any) -> Any:
        return await work(Transaction(session=None))  # type: ignore[arg-type]


async def test_a_group_keeps_each_key_record_in_the_store_its_remember_names():
    from services.intake.submissions import Submit, new_application
    from shared.catalogue import load_catalogue
    from shared.privacy.personal import Personal
    from tests.unit.test_privacy_sealing import MemoryVault

    submissions, batches = _Keys("idempotency_keys"), _Keys("mobile_batch_keys")
    commits = GroupCommit(
        _Units(),  # type: ignore[arg-type]
        _Counters(),  # type: ignore[arg-type]
        _Applications(),  # type: ignore[arg-type]
        "t.submitted",
        keys=[submissions, batches],
    )
    catalogue, personal = load_catalogue(), Personal(MemoryVault())  # type: ignore[arg-type]

    async def application(keys: IdempotencyStore, key: str) -> NewApplication:
        command = Submit(
            service="ktp-el",
            region="3576",
            data={"reason": "baru"},
            channel="web",
            citizen_id="c-1",
            correlation_id="corr",
            remember=keys.remember(f"c-1:{key}", "print", 202, "/apps/"),
        )
        return await new_application(command, catalogue, personal)

    group = [await application(submissions, "a"), await application(batches, "b")]
    await commits._store([_member(new) for new in group])  # one unit of work for both
    assert [[r["_id"] for r in records] for records in submissions.added] == [["c-1:a"]]
    assert [[r["_id"] for r in records] for records in batches.added] == [["c-1:b"]]


def _member(application: NewApplication) -> Any:
    from services.intake.group_commit import _Member

    member = _Member(application)
    member.tracking_number = application.tracking_number(1)
    return member


@pytest.fixture(scope="module")
def parts() -> IntakeParts:
    return build_parts(Settings(namespace="t"))


def test_the_parts_share_their_stores(parts):
    assert parts.batches.keys is parts.batch_keys
    assert parts.batches.commits is parts.commits
    assert parts.uploads.documents is parts.documents
    assert parts.retention.service == "intake"
    assert {parts.idempotency.name, parts.batch_keys.name} == {
        "idempotency_keys",
        "mobile_batch_keys",
    }


def test_intakes_outbox_takes_only_the_topics_intake_writes(parts):
    publishes, topics = parts.runtime.publishes, parts.runtime.topics
    assert {topics.submitted, topics.citizen_actions, topics.access} <= publishes
    assert topics.status not in publishes  # routing's


def test_the_app_is_built_on_the_parts_build_parts_makes():
    app = build(Settings(namespace="t"))
    assert isinstance(app.state.intake, IntakeParts)
    assert app.state.idempotency is app.state.intake.idempotency
    assert Problem in app.exception_handlers
    assert Rejected in app.exception_handlers


def _handlers_and_their_commands() -> list[Any]:
    from services.intake.citizen_actions import provide_information, request_cancellation
    from services.intake.handlers import handlers

    table = [getattr(handler, "handle", handler) for handler in handlers().values()]
    return [*table, request_cancellation, provide_information]


@pytest.mark.parametrize("handler", _handlers_and_their_commands(), ids=lambda h: h.__name__)
def test_a_handler_takes_its_event_or_command_and_intakes_unit_of_work_alone(handler):
    assert inspect.isfunction(handler), "a plain function, no store bound to it"
    parameters = list(inspect.signature(handler).parameters.values())
    assert [p.kind for p in parameters] == [inspect.Parameter.POSITIONAL_OR_KEYWORD] * 2
    hints = typing.get_type_hints(handler)
    assert hints[parameters[1].name] is IntakeUnitOfWork
    assert not _is_store(hints[parameters[0].name])


def test_the_handler_table_binds_no_store_to_a_handler():
    tree = ast.parse((INTAKE / "handlers.py").read_text(encoding="utf-8"))
    bound = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "partial"
    ]
    assert bound == []


def test_a_unit_of_work_from_intakes_parts_reaches_the_stores_the_parts_hold(parts):
    uow = parts.runtime.units()
    assert isinstance(uow, IntakeUnitOfWork)
    assert parts.units is parts.runtime.units
    assert uow.applications is parts.applications
    assert uow.documents is parts.documents
    assert uow.topics is parts.runtime.topics
    assert uow.personal is parts.runtime.personal
