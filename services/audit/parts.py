"""What audit is made of, made once: :func:`build_parts`.

The app (:func:`services.audit.app.build`) and the ``mpp audit`` commands
(ops/audit_cli.py) build the same :class:`AuditParts` from settings, so the log, its
signed checkpoints and the verification jobs are configured in one place. Making the
parts opens no connection: the database and broker clients connect on first use, and
the app's lifespan starts what runs in the background.
"""

from dataclasses import dataclass

from services.audit.api_handlers import AuditorsLog
from services.audit.checkpoints import Checkpoints
from services.audit.citizens import CitizenOnly
from services.audit.jobs import VerificationJobs
from services.audit.log import AuditLog
from services.audit.signing import Signer, load_signer
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings

__all__ = ["AuditParts", "build_parts"]


@dataclass(frozen=True)
class AuditParts:
    """Every part audit is made of."""

    runtime: Runtime
    """Broker, database, topics, metrics."""
    signer: Signer
    """The key that signs checkpoints."""
    log: AuditLog
    """``records``: the hash-chained log, appended a poll at a time."""
    checkpoints: Checkpoints
    """``checkpoints``: signed every so many records."""
    jobs: VerificationJobs
    """``verification_jobs``: whole-log verifications, in the background."""
    citizen_only: CitizenOnly
    """Who may read their own access log."""

    def auditors_log(self) -> AuditorsLog:
        """The log as an auditor reads it (personal values sealed until opened)."""
        return AuditorsLog(self.runtime.db, self.runtime.personal)

    async def close(self) -> None:
        """Close the database client (a command's parts; the app's lifespan closes its
        own)."""
        await self.runtime.mongo.close()


def build_parts(settings: Settings) -> AuditParts:
    runtime = build_runtime("audit", settings)
    signer = load_signer(settings)
    checkpoints = Checkpoints(runtime.db, signer, settings.audit_checkpoint_interval)
    return AuditParts(
        runtime=runtime,
        signer=signer,
        log=AuditLog(runtime.db, checkpoints, runtime.topics),
        checkpoints=checkpoints,
        jobs=VerificationJobs(runtime.db, signer),
        citizen_only=CitizenOnly(settings),
    )
