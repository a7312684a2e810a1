"""The one registry of topic names and consumer groups.

Every name on the backbone is built here from the namespace setting (``mpp`` by
default), so an environment — or a test — can run beside another on the same brokers.
Per-agency topics come from the catalogue: each party that reads an inbox on Kafka — an
agency's system serving many offices (Dukcapil's SIAK), or an office with a Kafka
handler and no system — has an inbox (routing writes, the party reads) and an updates
topic (the party writes, routing reads), named by its code
(:meth:`~shared.catalogue.Catalogue.kafka_inboxes`). One topic pair per system, not per
office, is what keeps a national roll-out within a cluster's partition budget
(docs/operations.md, section 3).

Which service produces and which consumes each topic is declared in :data:`FLOWS`, and a
test proves the declarations match the subscribers and publishers the services build.

Which event types each topic carries is declared in :data:`EVENT_TYPES`. The topic a
record came on is its authority — Kafka's ACLs say who may write to it, while anyone who
can write can put any ``type`` in the body — so a consumer accepts only the types
declared for the record's topic (:meth:`Topics.declared_types`; the message bus
dead-letters the rest as ``unexpected-type``), and audit indexes a record into its
derived views only when its type is declared for its topic.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, get_args

from shared.events import QueueEventType

if TYPE_CHECKING:
    from shared.catalogue import Catalogue
    from shared.settings import Settings

__all__ = ["ANY_TYPE", "EVENT_TYPES", "FLOWS", "Groups", "TopicSpec", "Topics"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    """Kept by key (``cleanup.policy=compact``): the newest record of each key stays."""


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
        self.queue = f"{namespace}.queue"
        self.catalogue = f"{namespace}.catalogue"
        self.staff = f"{namespace}.staff"
        self.payments = f"{namespace}.payments"
        self.complaints = f"{namespace}.complaints"

    def kind_of(self, name: str) -> str | None:
        """The registry's kind of topic ``name`` (a key of :data:`FLOWS`: ``status``,
        ``agency_updates``, …); None for a topic outside this namespace's registry."""
        for kind, topic in vars(self).items():
            if kind != "namespace" and topic == name:
                return kind
        prefix = f"{self.namespace}.agency."
        if name.startswith(prefix):
            agency, _, end = name[len(prefix) :].rpartition(".")
            if agency and end in ("inbox", "updates"):
                return f"agency_{end}"
        return None

    def declared_types(self, name: str) -> frozenset[str]:
        """The event types topic ``name`` may carry (:data:`EVENT_TYPES`); empty for a
        topic outside the registry, so nothing read there is trusted. Asked for every
        record consumed, so worked out once per topic."""
        return _declared_types(self.namespace, name)

    def agency_inbox(self, party: str) -> str:
        """The inbox of ``party``: a system's code, or an office's own when no system
        serves it (:meth:`~shared.catalogue.Catalogue.inbox_of`)."""
        return f"{self.namespace}.agency.{party}.inbox"

    def agency_updates(self, party: str) -> str:
        """Where ``party`` (a system, or an office on its own) reports back."""
        return f"{self.namespace}.agency.{party}.updates"

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
            self.queue,
            self.catalogue,
            self.staff,
            self.payments,
            self.complaints,
        ]

    def for_agencies(self, agencies: list[str]) -> list[str]:
        names: list[str] = []
        for agency in agencies:
            names += [self.agency_inbox(agency), self.agency_updates(agency)]
        return names

    def all(self, kafka_inboxes: list[str]) -> list[str]:
        return self.core() + self.for_agencies(kafka_inboxes)

    def specs(self, kafka_inboxes: list[str], partitions: int) -> list[TopicSpec]:
        return self._core_specs(partitions) + [
            TopicSpec(name, partitions) for name in self.for_agencies(kafka_inboxes)
        ]

    def _core_specs(self, partitions: int) -> list[TopicSpec]:
        """The catalogue topic has one partition (packages apply in the order published)
        and is compacted (each package's newest version stays); the rest ``partitions``."""
        return [
            TopicSpec(name, 1, compacted=True)
            if name == self.catalogue
            else TopicSpec(name, partitions)
            for name in self.core()
        ]

    def for_catalogue(self, catalogue: "Catalogue", settings: "Settings") -> list[TopicSpec]:
        """Every topic the platform needs with ``catalogue``, in :meth:`all`'s order. A
        system's pair gets ``kafka_system_partitions``: it carries the applications of
        every office it serves, so its reader needs more consumers than an office's."""
        systems = {system.code for system in catalogue.systems}
        specs = self._core_specs(settings.kafka_partitions)
        for party in catalogue.kafka_inboxes():
            wide = party in systems
            count = settings.kafka_system_partitions if wide else settings.kafka_partitions
            specs += [TopicSpec(name, count) for name in self.for_agencies([party])]
        return specs


class Groups:
    """Consumer group ids: one per service and stream, so each reads independently."""

    def __init__(self, namespace: str = "mpp") -> None:
        self.routing_submissions = f"{namespace}.routing.submissions"
        self.routing_agency_updates = f"{namespace}.routing.agency-updates"
        self.routing_staff = f"{namespace}.routing.staff"
        self.routing_queue = f"{namespace}.routing.queue"
        self.intake_staff = f"{namespace}.intake.staff"
        self.intake_payments = f"{namespace}.intake.payments"
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
    # Cancellations, answers to "needs more information" and complaints filed (routing
    # owns the workflow and the complaints; notify learns whose each complaint is).
    "citizen_actions": {
        "producers": frozenset({"intake"}),
        "consumers": frozenset({"routing", "notify", "audit"}),
    },
    # Contacts and notification preferences: personal data, read only by notify and audit.
    "accounts": {
        "producers": frozenset({"identity"}),
        "consumers": frozenset({"notify", "audit"}),
    },
    "deadletter": {
        "producers": frozenset({"routing", "notify", "intake", "identity", "audit"}),
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
    # The MPP building's queue: bookings, tickets, calls (docs/queue.md), for the audit log;
    # notify reminds of bookings and offers the survey after a served ticket; routing
    # keeps the waiting and service times its public dashboard shows.
    "queue": {
        "producers": frozenset({"intake"}),
        "consumers": frozenset({"notify", "audit", "routing"}),
    },
    # Published packages of the catalogue. Audit records them in its group; every process
    # of every service also reads the whole topic with no group (shared.catalogue.live),
    # since every replica needs every package.
    "catalogue": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"audit"}),
        "readers": frozenset({"identity", "intake", "routing", "notify", "audit"}),
    },
    # Staff accounts disabled or given a new password (identity's staff API, `mpp staff`):
    # routing (agency staff) and intake (queue kiosks, counter officers) refuse the tokens
    # issued before; audit records who stopped whom.
    "staff": {
        "producers": frozenset({"identity"}),
        "consumers": frozenset({"routing", "intake", "audit"}),
    },
    # Bills made, issued, paid, expired or failed, and payment reports refused: the
    # audit log is the finance officer's record of every one (docs/payments.md); intake
    # keeps each application's bill for the citizen's view and the counter.
    "payments": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"intake", "audit"}),
    },
    # Consultations and complaints as routing moves them along the SP4N-LAPOR! timeline
    # (docs/complaints.md): keyed by complaint id, never naming the citizen; notify tells
    # the citizen of an answer, an escalation or the closing; intake keeps a closed
    # complaint's attachments for its retention period from the closing.
    "complaints": {
        "producers": frozenset({"routing"}),
        "consumers": frozenset({"intake", "notify", "audit"}),
    },
}
"""A flow's ``readers`` read the whole topic with no consumer group (every process of
theirs needs every record): a Read grant on the topic, none on a group."""


ANY_TYPE: frozenset[str] = frozenset({"*"})
"""Declared for a topic that carries copies of any other topic's events (replay)."""

# Which event types (the CloudEvents ``type``) each kind of topic carries; the keys are
# those of FLOWS. A type on a topic not declared for it is refused by every consumer.
EVENT_TYPES: dict[str, frozenset[str]] = {
    "submitted": frozenset({"application.submitted"}),
    "agency_inbox": frozenset(
        {
            "application.dispatched",
            "application.answer_forwarded",
            "application.cancellation_forwarded",
            "complaint.forwarded",
            "complaint.replied",
        }
    ),
    # An agency's own system speaks here: its status reports, nothing else.
    "agency_updates": frozenset({"agency.status_reported"}),
    "status": frozenset({"application.status_changed", "application.cancellation_refused"}),
    "notifications": frozenset({"notification.status_changed", "survey.answered"}),
    "citizen_actions": frozenset(
        {
            "application.cancellation_requested",
            "application.information_provided",
            "complaint.filed",
        }
    ),
    "accounts": frozenset(
        {
            "account.contacts_changed",
            "account.code_issued",
            "account.nik_verified",
            "account.frozen",
            "account.contact_replaced",
            "account.data_right_exercised",
        }
    ),
    "deadletter": frozenset({"message.dead_lettered"}),
    "access": frozenset({"application.accessed"}),
    "escalations": frozenset({"application.sla_breached", "agency.delivery_failed"}),
    # `mpp audit republish` copies recorded events of every kind, unchanged.
    "replay": ANY_TYPE,
    "documents": frozenset({"document.issued", "document.revoked"}),
    "operations": frozenset({"operator.acted"}),
    "queue": frozenset(get_args(QueueEventType)),
    "catalogue": frozenset({"catalogue.published"}),
    "staff": frozenset({"staff.access_revoked"}),
    "payments": frozenset(
        {
            "payment.bill_changed",
            "payment.refused",
            "payment.refund_submitted",
            "payment.refund_succeeded",
            "payment.refund_failed",
            "payment.finding_handled",
        }
    ),
    "complaints": frozenset(
        {
            "complaint.forwarded",
            "complaint.tracked",
            "complaint.answered",
            "complaint.replied",
            "complaint.escalated",
            "complaint.closed",
        }
    ),
}


@lru_cache(maxsize=4096)
def _declared_types(namespace: str, name: str) -> frozenset[str]:
    kind = Topics(namespace).kind_of(name)
    declared = EVENT_TYPES.get(kind, frozenset()) if kind else frozenset()
    if declared is ANY_TYPE:
        return frozenset().union(*(t for t in EVENT_TYPES.values() if t is not ANY_TYPE))
    return declared
