"""The one registry of topic names and consumer groups.

Every name on the backbone is built here from the namespace setting (``mpp`` by
default), so an environment — or a test — can run beside another on the same brokers.
Per-agency topics come from the catalogue: each agency with a Kafka handler has an inbox
(routing writes, the agency reads) and an updates topic (the agency writes, routing
reads).

Which service produces and which consumes each topic is declared in :data:`FLOWS`, and a
test proves the declarations match the subscribers and publishers the services build.
"""

from dataclasses import dataclass

__all__ = ["FLOWS", "Groups", "TopicSpec", "Topics"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int


class Topics:
    """Topic names for one namespace."""

    def __init__(self, namespace: str = "mpp") -> None:
        self.namespace = namespace
        self.submitted = f"{namespace}.applications.submitted"
        self.status = f"{namespace}.applications.status"
        self.notifications = f"{namespace}.notifications"
        self.deadletter = f"{namespace}.deadletter"
        self.access = f"{namespace}.access"
        self.escalations = f"{namespace}.escalations"
        self.replay = f"{namespace}.audit.replay"
        self.citizen_actions = f"{namespace}.applications.citizen-actions"
        self.accounts = f"{namespace}.accounts.contacts"
        self.documents = f"{namespace}.documents"
        self.operations = f"{namespace}.operations"

    def agency_inbox(self, agency: str) -> str:
        return f"{self.namespace}.agency.{agency}.inbox"

    def agency_updates(self, agency: str) -> str:
        return f"{self.namespace}.agency.{agency}.updates"

    def core(self) -> list[str]:
        return [
            self.submitted,
            self.status,
            self.notifications,
            self.deadletter,
            self.citizen_actions,
            self.accounts,
            self.access,
            self.escalations,
            self.replay,
            self.documents,
            self.operations,
        ]

    def for_agencies(self, agencies: list[str]) -> list[str]:
        names: list[str] = []
        for agency in agencies:
            names += [self.agency_inbox(agency), self.agency_updates(agency)]
        return names

    def all(self, kafka_agencies: list[str]) -> list[str]:
        return self.core() + self.for_agencies(kafka_agencies)

    def specs(self, kafka_agencies: list[str], partitions: int) -> list[TopicSpec]:
        return [TopicSpec(name, partitions) for name in self.all(kafka_agencies)]


class Groups:
    """Consumer group ids: one per service and stream, so each reads independently."""

    def __init__(self, namespace: str = "mpp") -> None:
        self.routing_submissions = f"{namespace}.routing.submissions"
        self.routing_agency_updates = f"{namespace}.routing.agency-updates"
        self.intake_status = f"{namespace}.intake.status"
        self.notify_status = f"{namespace}.notify.status"
        self.audit_all = f"{namespace}.audit.all"

    def agency(self, agency: str) -> str:
        return f"{agency}.inbox-reader"


# Which services publish to and consume each kind of topic. The keys are attribute
# names of Topics (agency topics as "agency_inbox" / "agency_updates").
FLOWS: dict[str, dict[str, frozenset[str]]] = {
    "submitted": {"producers": frozenset({"intake"}), "consumers": frozenset({"routing", "audit"})},
    "agency_inbox": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"agency", "audit"}),
    },
    "agency_updates": {
        "producers": frozenset({"agency"}),
        "consumers": frozenset({"routing", "audit"}),
    },
    "status": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"intake", "notify", "audit"}),
    },
    "notifications": {"producers": frozenset({"notify"}), "consumers": frozenset({"audit"})},
    # Cancellations and answers to "needs more information" (routing owns the workflow).
    "citizen_actions": {
        "producers": frozenset({"intake"}),
        "consumers": frozenset({"routing", "audit"}),
    },
    # Contacts and notification preferences: personal data, read only by notify and audit.
    "accounts": {
        "producers": frozenset({"intake"}),
        "consumers": frozenset({"notify", "audit"}),
    },
    "deadletter": {
        "producers": frozenset({"routing", "notify", "intake", "audit"}),
        "consumers": frozenset({"audit"}),
    },
    # Reads of an application's data: auditors, officers' reads, officers opening documents.
    "access": {
        "producers": frozenset({"audit", "routing", "intake"}),
        "consumers": frozenset({"audit"}),
    },
    # SLA breaches and failed webhook deliveries, for the agency's supervisor.
    "escalations": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"notify", "audit"}),
    },
    # `mpp audit republish` writes a replayed range here; the projection being rebuilt
    # reads it with its own group. Audit reads it too: a replayed event it already holds
    # is a duplicate, and one it never saw is recorded like any other.
    "replay": {"producers": frozenset({"audit"}), "consumers": frozenset({"audit"})},
    # Result documents issued and revoked: the public register behind verification codes.
    "documents": {"producers": frozenset({"routing"}), "consumers": frozenset({"audit"})},
    # What operators did by hand (re-route, redeliver), for the audit log.
    "operations": {"producers": frozenset({"routing"}), "consumers": frozenset({"audit"})},
}
