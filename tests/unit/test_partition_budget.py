"""The partition budget in docs/operations.md (section 3), recomputed from the code.

A national catalogue is generated — 514 regions with 30 Kafka offices each, once with
every office on its own topic pair and once with the offices served by 60 systems — and
the topic registry (``Topics.for_catalogue``, what provisioning creates) is counted.
The figures in the document's table must be exactly these.
"""

import math
import re
from pathlib import Path

from shared.catalogue import Catalogue
from shared.settings import Settings
from shared.topics import Topics

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

REGIONS, OFFICES_PER_REGION, SYSTEMS = 514, 30, 60
OFFICE_PARTITIONS, SYSTEM_PARTITIONS, REPLICATION = 3, 12, 3
PER_BROKER, PER_CLUSTER = 4_000, 200_000  # KIP-578's guideline
ROWS = {
    "office": "| a topic pair per office",
    "system": "| a topic pair per system",
}


def national(systems: int) -> Catalogue:
    """514 regions × 30 Kafka offices; with ``systems``, office i is served by system
    i mod ``systems`` (each system serving offices in every region)."""
    regions = [{"code": f"{1000 + r}", "name": f"R{r}", "mpp": f"MPP {r}"} for r in range(REGIONS)]
    agencies = []
    for r in range(REGIONS):
        for o in range(OFFICES_PER_REGION):
            index = r * OFFICES_PER_REGION + o
            handler = {"kind": "kafka"}
            if systems:
                handler["system"] = f"system-{index % systems}"
            agencies.append(
                {
                    "code": f"office-{index}",
                    "name": {"id": "Kantor", "en": "Office"},
                    "region": f"{1000 + r}",
                    "handler": handler,
                    "supervisor_email": "kepala@example.id",
                }
            )
    named = [
        {"code": f"system-{s}", "name": {"id": "Sistem", "en": "System"}} for s in range(systems)
    ]
    return Catalogue.model_validate(
        {"version": 1, "regions": regions, "agencies": agencies, "services": [], "systems": named}
    )


def budget(catalogue: Catalogue) -> list[int | str]:
    """The table's columns: parties with an inbox, topics, partitions, replicas, brokers
    needed at 4,000 replicas each (at least the replication factor), and the replicas as
    a share of 200,000."""
    settings = Settings(
        kafka_partitions=OFFICE_PARTITIONS,
        kafka_system_partitions=SYSTEM_PARTITIONS,
        kafka_replication_factor=REPLICATION,
    )
    specs = Topics("mpp").for_catalogue(catalogue, settings)
    partitions = sum(spec.partitions for spec in specs)
    replicas = partitions * settings.kafka_replication_factor
    brokers = max(REPLICATION, math.ceil(replicas / PER_BROKER))
    share = 100 * replicas / PER_CLUSTER
    return [
        len(catalogue.kafka_inboxes()),
        len(specs),
        partitions,
        replicas,
        brokers,
        f"{share:.0f} %" if share >= 10 else f"{share:.1f} %",
    ]


def documented(row: str) -> list[int | str]:
    [line] = [line for line in DOC.read_text().splitlines() if line.startswith(row)]
    cells = [cell.strip() for cell in line.strip("|").split("|")][1:]
    return [int(c.replace(",", "")) if re.fullmatch(r"[\d,]+", c) else c for c in cells]


def test_the_documented_budget_of_a_topic_pair_per_office_is_what_the_registry_creates():
    assert documented(ROWS["office"]) == budget(national(systems=0))


def test_the_documented_budget_of_a_topic_pair_per_system_is_what_the_registry_creates():
    assert documented(ROWS["system"]) == budget(national(systems=SYSTEMS))


def test_per_office_topics_pass_the_guideline_and_per_system_topics_stay_far_within_it():
    per_office, per_system = budget(national(0)), budget(national(SYSTEMS))
    assert per_office[3] > PER_CLUSTER  # replicas: past the cluster's guideline
    assert per_system[4] == REPLICATION  # the fewest brokers replication allows
