"""``mpp privacy``: personal data retention, as the operator sees it.

mpp privacy retention --dry-run   per data class: period, reason, rows past it now, oldest
mpp privacy retention             the same, then one sweep pass in every service's database

Reads the databases and the broker named by the settings (``MPP_MONGO_URI``,
``MPP_NAMESPACE``, ``MPP_KAFKA_BOOTSTRAP``). The table it reports is
``shared/retention_policy.py``; the sweep is the one each service runs in the
background (``MPP_RETENTION_SWEEP_SECONDS``). It also sets each Kafka topic's retention
(``retention.ms`` from the broker, else ``MPP_KAFKA_RETENTION_DAYS``) against the
longest period of the classes whose personal data the topic carries, and flags a topic
that keeps it longer; the exit code is 1 when one is flagged.
"""

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["add_parser", "run"]

_SERVICES = ("identity", "intake", "routing", "notify", "audit")


def add_parser(commands: Any) -> None:
    privacy = commands.add_parser(
        "privacy", help="personal data protection (UU PDP): retention per data class"
    )
    actions = privacy.add_subparsers(dest="privacy_command", required=True)
    retention = actions.add_parser(
        "retention",
        help="report (--dry-run) or run the retention sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retention.add_argument("--dry-run", action="store_true", help="report only: delete nothing")


def run(args: argparse.Namespace) -> int:
    from shared.settings import Settings

    return asyncio.run(retention(Settings(), dry_run=args.dry_run))


def _sweepers(settings: Any, mongo: Any, made: dict[str, Any]) -> dict[str, Any]:
    """Each service's sweeper; intake's and routing's are the ones their parts hold, as
    the service runs them."""
    from services.audit.retention import retention_sweeps as audit
    from services.identity.retention import retention_sweeps as identity
    from services.notify.retention import retention_sweeps as notify
    from shared.retention_sweep import RetentionSweeper

    plans: dict[str, Callable[[Any], list[Any]]] = {
        "identity": identity,
        "notify": notify,
        "audit": audit,
    }
    sweepers = {}
    for service in _SERVICES:
        if service in made:
            sweepers[service] = made[service].retention
            continue
        db = mongo[settings.database_name(service)]
        sweepers[service] = RetentionSweeper(service, db, settings, plans[service](db))
    return sweepers


def _age(oldest: Any, now: datetime) -> str:
    if oldest is None:
        return "-"
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return f"{(now - oldest).days} d"


async def retention(settings: Any, *, dry_run: bool) -> int:
    """Print the report; sweep unless ``dry_run``; 1 when a topic keeps data too long."""
    from services.intake.parts import build_parts as intake_parts
    from services.routing.composition import build_parts as routing_parts
    from shared.events import utcnow
    from shared.mongo import make_mongo
    from shared.retention_policy import CLASSES

    now = utcnow()
    mongo = make_mongo(settings, "mpp-privacy")
    made = {"intake": intake_parts(settings), "routing": routing_parts(settings)}
    try:
        sweepers = _sweepers(settings, mongo, made)
        findings = {}
        for sweeper in sweepers.values():
            for finding in await sweeper.survey(now):
                findings[(finding.sweep.data_class.name, sweeper.service, finding.sweep.label)] = (
                    finding
                )
        print(f"Retensi data pribadi / Personal data retention, at {now:%Y-%m-%d %H:%M} UTC")
        for entry in CLASSES:
            days = entry.days(settings)
            period = f"{days} days" if days is not None else "outside the platform"
            setting = f" (MPP_{entry.setting.upper()})" if entry.setting else ""
            print(f"\n{entry.name}: {entry.title}")
            print(f"  period: {period}{setting}; enforced by {entry.enforced_by}")
            print(f"  alasan: {entry.reason_id}")
            print(f"  reason: {entry.reason_en}")
            for (name, service, _label), finding in findings.items():
                if name != entry.name:
                    continue
                store = finding.sweep.store
                where = f"{service}/{store.collection} ({store.age_field})"
                if store.deletes:
                    verb = "would remove" if dry_run else "past the period"
                    line = f"{verb} {finding.expired}"
                else:
                    line = f"{finding.expired} past the period, not deleted here"
                print(f"  - {where}: {line}; oldest {_age(finding.oldest, now)}")
                if store.note:
                    print(f"      {store.note}")
        if not dry_run:
            print("\nSweep / Penghapusan:")
            for service, sweeper in sweepers.items():
                for label, count in (await sweeper.sweep_once(now)).items():
                    print(f"  {service}/{label}: removed {count}")
    finally:
        for parts in made.values():
            await parts.close()
        await mongo.close()
    return await _topics(settings)


async def _topics(settings: Any) -> int:
    """Each topic's retention against the classes whose personal data it carries."""
    from aiokafka.errors import KafkaError

    from shared.catalogue import load_catalogue
    from shared.kafka import topic_retention_ms
    from shared.retention import DAY_MS
    from shared.retention_policy import topics_of
    from shared.topics import Topics

    topics = Topics(settings.namespace)
    kinds = {
        getattr(topics, kind): kind
        for kind in vars(topics)
        if kind != "namespace" and isinstance(getattr(topics, kind), str)
    }
    for agency in load_catalogue().kafka_inboxes():
        kinds[topics.agency_inbox(agency)] = "agency_inbox"
        kinds[topics.agency_updates(agency)] = "agency_updates"
    default_ms = int(settings.kafka_retention_days * DAY_MS)
    reports = True
    flagged = 0
    print("\nKafka topics (retention against the classes they carry):")
    for name, kind in kinds.items():
        reported = None
        if reports:
            try:
                reported = await topic_retention_ms(settings, [name])
            except (KafkaError, OSError, TimeoutError):
                reported = None
            reports = reported is not None  # a broker that says nothing says it for all
        retention_ms = reported if reported is not None else default_ms
        source = "broker" if reported is not None else "MPP_KAFKA_RETENTION_DAYS"
        kept = "forever" if retention_ms < 0 else f"{retention_ms / DAY_MS:g} days"
        classes = [c for c in topics_of(kind) if c.days(settings) is not None]
        if not classes:
            print(f"  {name}: {kept} ({source}); no personal data class")
            continue
        needed = max(c.days(settings) or 0 for c in classes)
        names = ", ".join(c.name for c in classes)
        too_long = retention_ms < 0 or retention_ms > needed * DAY_MS
        flagged += too_long
        mark = "TOO LONG" if too_long else "ok"
        print(f"  {name}: {kept} ({source}) vs {needed} days ({names}): {mark}")
    if flagged:
        print(f"\n{flagged} topic(s) keep personal data longer than its class; lower retention.ms")
    return 1 if flagged else 0
