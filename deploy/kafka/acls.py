"""Renders deploy/kafka/acls.conf, the Kafka ACLs of the secure deployment, from the
topic registry: who produces and who consumes each topic (``shared.topics.FLOWS``) and
each service's consumer groups (``shared.topics.Groups``). The ``agency-{agency}`` lines
are repeated by setup-acls.sh for every party the catalogue gives an inbox
(``Catalogue.kafka_inboxes``): each Kafka system, one principal for all the offices it
serves, and each Kafka office no system serves. An office a system serves has no
principal of its own.

    python deploy/kafka/acls.py > deploy/kafka/acls.conf     # after changing the registry
    python deploy/kafka/acls.py --check                      # exit 1 when the file is stale
    python deploy/kafka/acls.py --parties                    # the kafka-acls job's AGENCIES

The file is committed so the grants can be reviewed like code; a unit test fails when it
no longer matches the registry.
"""

import argparse
import sys
from pathlib import Path

from shared.catalogue import load_catalogue
from shared.topics import FLOWS, Groups, Topics

SERVICES = ("identity", "intake", "routing", "notify", "audit")
PRINCIPALS = ("provisioner", *SERVICES, "agency-{agency}")
NS, AGENCY = "{ns}", "{agency}"
TARGET = Path(__file__).with_name("acls.conf")

HEADER = """\
# Kafka ACLs of the secure deployment (docker-compose.secure.yml), applied by
# setup-acls.sh in the one-shot kafka-acls job. Everything not granted here is denied
# (allow.everyone.if.no.acl.found=false); the admin principal is the only super user.
#
# GENERATED from shared.topics (FLOWS, Groups) by deploy/kafka/acls.py: do not edit;
# change the registry and run  python deploy/kafka/acls.py > deploy/kafka/acls.conf
#
# One grant a line:  PRINCIPAL  OPERATION  RESOURCE  PATTERN  NAME
#   {ns}      the namespace (MPP_NAMESPACE, "mpp" by default)
#   {agency}  the line is repeated for every party with an inbox (AGENCIES): each Kafka
#             system of the catalogue, and each Kafka office no system serves
# Read and Write imply Describe. A topic whose consumers are chosen by the operator
# (such as the replay topic) gets no Read grant here: grant it for the group in use.
"""

COMMENTS = {
    "provisioner": "the topics job creates the registry's topics.",
    "identity": "accounts, sign-in and staff; publishes the account events.",
    "intake": "the citizens' applications.",
    "routing": "dispatch to agencies, the status workflow, the SLA clock.",
    "notify": "tells citizens about status changes.",
    "audit": "the tamper-evident log of every event.",
    "agency-{agency}": "each system or lone office: its own inbox, updates topic and group.",
}


def _topic(kind: str) -> str:
    topics = Topics(NS)
    value = getattr(topics, kind)
    return value(AGENCY) if callable(value) else value


def _principal(party: str) -> str:
    if party == "agency":
        return "agency-{agency}"
    if party not in SERVICES:
        raise ValueError(f"FLOWS names {party!r}, which is neither a service nor 'agency'")
    return party


def grants() -> dict[str, list[tuple[str, str, str, str]]]:
    """(operation, resource, pattern, name) per principal, in a stable order."""
    plan: dict[str, list[tuple[str, str, str, str]]] = {p: [] for p in PRINCIPALS}
    plan["provisioner"] += [
        ("Create", "topic", "prefixed", f"{NS}."),
        ("Describe", "topic", "prefixed", f"{NS}."),
    ]
    for service in SERVICES:  # start-up check that the registry's topics exist
        plan[service].append(("Describe", "topic", "prefixed", f"{NS}."))
    for kind, flow in FLOWS.items():
        name = _topic(kind)
        readers = flow.get("readers", frozenset()) - flow["consumers"]
        for parties, operation in (
            (flow["producers"], "Write"),
            (flow["consumers"], "Read"),
            (readers, "Read"),
        ):
            for party in sorted(parties):
                plan[_principal(party)].append((operation, "topic", "literal", name))
    for attribute, group in vars(Groups(NS)).items():
        plan[_principal(attribute.split("_")[0])].append(("Read", "group", "literal", group))
    plan["agency-{agency}"].append(("Read", "group", "literal", Groups(NS).agency(AGENCY)))
    return plan


def render() -> str:
    lines = [HEADER]
    for principal, entries in grants().items():
        if not entries:
            continue
        lines.append(f"# {principal}: {COMMENTS[principal]}")
        for operation, resource, pattern, name in entries:
            lines.append(f"{principal:<16} {operation:<9} {resource:<6} {pattern:<9} {name}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with acls.conf")
    parser.add_argument(
        "--parties", action="store_true", help="print the catalogue's parties (AGENCIES)"
    )
    args = parser.parse_args(argv)
    if args.parties:
        print(" ".join(load_catalogue().kafka_inboxes()))
        return 0
    text = render()
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} is stale: python deploy/kafka/acls.py > {TARGET}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
