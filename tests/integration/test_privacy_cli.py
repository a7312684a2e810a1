"""``mpp privacy retention`` against the real database and broker: the dry run reports
every data class with its period, reason and what is past it, deleting nothing; the
command without it sweeps; the topics' retention is set against the classes."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from shared.events import utcnow
from shared.mongo import make_mongo
from shared.retention_policy import CLASSES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def mpp(stack_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPP_")} | stack_env
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_dry_run_reports_each_class_and_the_sweep_then_removes_the_expired(
    settings: Settings, stack_env
):
    mongo = make_mongo(settings, "privacy-cli-test")
    accounts = mongo[settings.database_name("identity")]["accounts"]
    closed = timedelta(days=settings.retain_accounts_closed_days, hours=1)
    await accounts.insert_many(
        [{"_id": "closed-long-ago", "closed_at": utcnow() - closed}, {"_id": "still-open"}]
    )

    dry = mpp(stack_env, "privacy", "retention", "--dry-run")
    left_after_dry_run = await accounts.count_documents({})
    swept = mpp(stack_env, "privacy", "retention")
    left = [row["_id"] for row in await accounts.find().to_list(None)]
    await mongo.close()

    assert dry.returncode == 0, dry.stderr
    for entry in CLASSES:
        assert f"\n{entry.name}: " in dry.stdout
        assert entry.reason_id in dry.stdout
    assert "identity/accounts (closed_at): would remove 1; oldest 30 d" in dry.stdout
    assert "MPP_RETAIN_APPLICATIONS_DECIDED_DAYS" in dry.stdout
    assert "append-only audit chain; erased by crypto-shredding, not deleted" in dry.stdout
    assert f"{settings.namespace}.accounts.contacts: 30 days" in dry.stdout
    assert "vs 30 days (accounts): ok" in dry.stdout
    assert left_after_dry_run == 2
    assert swept.returncode == 0, swept.stderr
    assert "identity/accounts/accounts: removed 1" in swept.stdout
    assert left == ["still-open"]


def test_a_topic_keeping_personal_data_longer_than_its_classes_is_flagged(stack_env):
    # The local broker reports no retention.ms: MPP_KAFKA_RETENTION_DAYS stands for it.
    report = mpp(
        stack_env | {"MPP_KAFKA_RETENTION_DAYS": "400"}, "privacy", "retention", "--dry-run"
    )

    assert report.returncode == 1
    assert "accounts.contacts: 400 days (MPP_KAFKA_RETENTION_DAYS) vs 30 days" in report.stdout
    assert "TOO LONG" in report.stdout
    assert (
        "applications.submitted: 400 days (MPP_KAFKA_RETENTION_DAYS) vs 1825 days" in report.stdout
    )
