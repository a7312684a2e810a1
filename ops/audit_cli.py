"""``mpp audit``: the operator's and auditor's commands on the tamper-evident log.

mpp audit verify [--file EXPORT [--public-key KEY]]   exit 0 intact, 1 names the first bad record
mpp audit verify --incremental                         only what was added since the last time
mpp audit export [--output FILE]                       JSONL with signed checkpoints and a seal
mpp audit replay --since T1 [--until T2] [--application ID] [--type T] [--source store|kafka]
                 [--readable --application ID --purpose WHY --auditor NAME]
                                                       personal values sealed as stored; with
                                                       --readable, one application's opened
                                                       (or "[erased]"), the reading recorded
mpp audit state --application ID [--at T]              state at T; differences from the live view
mpp audit republish --since T1 [--until T2] [...]      send a replayed range to the replay topic
mpp audit issue-key NAME                               a read-only auditor API key (shown once)
mpp audit public-key                                   the key that signs checkpoints

Times are ISO 8601 (``2026-11-23T09:00:00Z``); without a zone they are taken as UTC.

``mpp audit verify`` walks the whole database log as a verification job (its progress
on standard error, and visible through ``GET /api/v1/audit/verify/jobs/{id}``);
``--incremental`` verifies, in bounded time, the records after the last verified
position, as ``GET /api/v1/audit/verify`` does.
"""

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["configure", "run"]


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_time, required=True, help="start of the window")
    parser.add_argument("--until", type=_time, help="end of the window (default: now)")
    parser.add_argument("--application", help="only this application's events")
    parser.add_argument("--type", help="only events of this type, e.g. application.submitted")
    parser.add_argument("--source", choices=["store", "kafka"], default="store")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``audit`` subcommands to ``parser``."""
    actions = parser.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser("verify", help="verify the log, or an exported file offline")
    verify.add_argument("--file", help="an export (JSONL) to verify instead of the database")
    verify.add_argument("--public-key", help="base64 or PEM (text or file) of the signing key")
    verify.add_argument(
        "--incremental",
        action="store_true",
        help="verify only the records added since the last verified position",
    )
    export = actions.add_parser("export", help="write the log as JSONL with signed checkpoints")
    export.add_argument("--output", help="file to write (default: standard output)")
    replay = actions.add_parser("replay", help="print a window's events in order, as JSONL")
    _window(replay)
    replay.add_argument(
        "--readable",
        action="store_true",
        help="open one application's sealed personal values (\"[erased]\" where the citizen's "
        "key was destroyed) instead of printing the stored bytes; needs --application, "
        "--purpose and --auditor, and is recorded in the citizen's access log",
    )
    replay.add_argument("--purpose", help="with --readable: why the values are opened")
    replay.add_argument("--auditor", help="with --readable: who opens them (recorded)")
    state = actions.add_parser("state", help="an application's state at a moment")
    state.add_argument("--application", required=True)
    state.add_argument("--at", type=_time, help="the moment (default: now)")
    _window(actions.add_parser("republish", help="send a replayed window to the replay topic"))
    issue = actions.add_parser("issue-key", help="issue a read-only auditor API key")
    issue.add_argument("name", help="who the key is for (recorded with every read)")
    actions.add_parser("public-key", help="print the key that signs checkpoints")


def run(args: argparse.Namespace) -> int:
    command: Callable[[Any, argparse.Namespace], Awaitable[int]] = _COMMANDS[args.audit_command]
    from shared.settings import Settings

    return asyncio.run(command(Settings(), args))


async def _with_parts(settings: Any, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work`` with audit's parts, made as the service makes them
    (:func:`services.audit.parts.build_parts`)."""
    from services.audit.parts import build_parts

    parts = build_parts(settings)
    try:
        return await work(parts)
    finally:
        await parts.close()


async def _verify(settings: Any, args: argparse.Namespace) -> int:
    from services.audit.signing import parse_public_key
    from services.audit.verification import verify_export

    if args.file:
        key = parse_public_key(args.public_key) if args.public_key else None
        if key is None:
            print("warning: no --public-key; trusting the key named in the file", file=sys.stderr)
        # a one-shot command: nothing else is waiting on this event loop
        with open(args.file, "rb") as lines:  # noqa: ASYNC230
            verdict = verify_export(lines, key)
    elif args.incremental:
        return await _with_parts(settings, lambda parts: _verify_increment(settings, parts))
    else:
        verdict = await _with_parts(settings, _verify_job)
    if verdict.ok:
        print(f"OK: {verdict.checked} records intact")
        return 0
    where = f"record {verdict.first_invalid}" if verdict.first_invalid is not None else "file"
    print(f"INVALID at {where}: {verdict.reason} ({verdict.checked} records intact before it)")
    return 1


async def _verify_job(parts: Any) -> Any:
    """The whole log, as a verification job run here, its progress on standard error."""
    import time

    jobs = parts.jobs
    job = await jobs.create(started_by="mpp audit verify")
    total, shown = job["total"], [0.0]

    def progress(verified: int) -> None:
        if time.monotonic() - shown[0] >= 2:
            shown[0] = time.monotonic()
            share = f" ({100 * verified / total:.0f}%)" if total else ""
            print(f"verified {verified:,} of {total:,} records{share}", file=sys.stderr)

    return await jobs.run(job["_id"], progress)


async def _verify_increment(settings: Any, parts: Any) -> int:
    from services.audit.incremental import verify_increment

    found = (
        await verify_increment(parts.runtime.db, parts.signer, settings.audit_verify_step)
    ).as_dict()
    if not found["ok"]:
        where = found["first_invalid"]
        print(f"INVALID at record {where}: {found['reason']}")
        return 1
    left = found["head"] - found["verified_through"]
    more = f"; {left:,} records left, run it again" if left > 0 else ""
    print(
        f"OK: records 1..{found['verified_through']:,} intact ({found['new']:,} verified now){more}"
    )
    return 0


async def _export(settings: Any, args: argparse.Namespace) -> int:
    from services.audit.export import export_lines

    async def write(parts: Any) -> int:
        db, checkpoints = parts.runtime.db, parts.checkpoints
        # a one-shot command: nothing else is waiting on this event loop
        output = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115, ASYNC230
        try:
            async for block in export_lines(db, checkpoints):
                output.write(block)
        finally:
            if args.output:
                output.close()
        return 0

    return await _with_parts(settings, write)


async def _replayed(settings: Any, args: argparse.Namespace) -> AsyncIterator[Any]:
    """The window in order; from Kafka as it streams (flat memory)."""
    from services.audit.replay import ReplayQuery, replay_store, stream_kafka
    from shared.catalogue import load_catalogue
    from shared.topics import Topics

    query = ReplayQuery(args.since, args.until or datetime.now(UTC), args.application, args.type)
    if args.source == "kafka":
        topics = Topics(settings.namespace)
        names = [t for t in topics.all(load_catalogue().kafka_inboxes()) if t != topics.replay]
        async for event in stream_kafka(settings, names, query):
            yield event
        return

    async def read(parts: Any) -> Any:
        return await replay_store(parts.runtime.db, query)

    for event in await _with_parts(settings, read):
        yield event


async def _replay(settings: Any, args: argparse.Namespace) -> int:
    out = sys.stdout.buffer
    if not args.readable:
        async for event in _replayed(settings, args):
            out.write(event.raw + b"\n")
        out.flush()
        return 0

    if not (args.application and args.purpose and args.auditor):
        print(
            "--readable opens one application's personal data for a stated purpose: give "
            "--application ID --purpose WHY --auditor NAME (the reading is recorded in the "
            "citizen's access log)",
            file=sys.stderr,
        )
        return 2
    await _record_reading(settings, args)

    async def readable(parts: Any) -> int:
        import orjson

        from services.audit.owners import named_citizen

        personal = parts.runtime.personal
        submitters: dict[str, str] = {}  # application → citizen, from its submission
        async for event in _replayed(settings, args):
            parsed = orjson.loads(event.raw)
            owner = named_citizen(parsed)
            subject = parsed.get("subject") if isinstance(parsed, dict) else None
            if owner is not None and parsed.get("type") == "application.submitted":
                submitters[str(subject)] = owner
            owner = owner or submitters.get(str(subject))
            opened = await personal.open_all(parsed, owner)
            out.write(orjson.dumps(opened, option=orjson.OPT_SORT_KEYS) + b"\n")
        out.flush()
        return 0

    return await _with_parts(settings, readable)


async def _record_reading(settings: Any, args: argparse.Namespace) -> None:
    """Record ``--readable``'s opening on the access topic before anything is printed."""
    from services.audit.access import record_access
    from shared.kafka import make_broker
    from shared.topics import Topics

    broker = make_broker(settings, "mpp-audit-cli")
    await broker.start()
    try:
        await record_access(
            broker,
            Topics(settings.namespace).access,
            application_id=args.application,
            region=None,
            actor_kind="auditor",
            actor_id=args.auditor,
            purpose=args.purpose,
        )
    finally:
        await broker.stop()


async def _republish(settings: Any, args: argparse.Namespace) -> int:
    from services.audit.replay import republish
    from shared.topics import Topics

    topic = Topics(settings.namespace).replay
    sent = await republish(settings, topic, _replayed(settings, args))
    print(f"{sent} events republished to {topic}")
    return 0


async def _state(settings: Any, args: argparse.Namespace) -> int:
    from services.audit.state import differences, live_state, rebuild_state

    async def compare(parts: Any) -> int:
        at = args.at or datetime.now(UTC)
        rebuilt = await rebuild_state(parts.runtime.db, args.application, at)
        intake = parts.runtime.mongo[settings.database_name("intake")]
        live = await live_state(intake, args.application)
        found = differences(rebuilt, live)
        report = {"at": at.isoformat(), "rebuilt": rebuilt.as_dict(), "differences": found}
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 1 if found else 0

    return await _with_parts(settings, compare)


async def _issue_key(settings: Any, args: argparse.Namespace) -> int:
    from services.audit.keys import issue_key

    async def issue(parts: Any) -> int:
        key = await issue_key(parts.runtime.db, args.name)
        print(key)
        print(
            "Simpan kunci ini sekarang / Keep this key now: it is not shown again.", file=sys.stderr
        )
        return 0

    return await _with_parts(settings, issue)


async def _public_key(settings: Any, _args: argparse.Namespace) -> int:
    from services.audit.signing import public_key_text

    async def show(parts: Any) -> int:
        print(public_key_text(parts.signer.public_key))
        return 0

    return await _with_parts(settings, show)


_COMMANDS: dict[str, Callable[[Any, argparse.Namespace], Awaitable[int]]] = {
    "verify": _verify,
    "export": _export,
    "replay": _replay,
    "republish": _republish,
    "state": _state,
    "issue-key": _issue_key,
    "public-key": _public_key,
}
