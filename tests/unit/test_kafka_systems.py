"""Kafka systems in the catalogue, the topic registry and the secure profile's ACLs.

The local broker (Tansu) cannot enforce ACLs: without ``--authentication`` it refuses
SASL, and with it no SCRAM user can be created (creating one needs a signed-in client).
So, like tests/unit/test_deploy.py, these tests prove the grants from the plan the
kafka-acls job applies (``setup-acls.sh`` in dry-run mode) and decide each request the
way Kafka's ``StandardAuthorizer`` does with ``allow.everyone.if.no.acl.found=false``:
allowed only by a matching grant.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.catalogue import Catalogue, load_catalogue
from shared.settings import Settings
from shared.topics import Topics
from tests.catalogues import with_systems

ROOT = Path(__file__).resolve().parents[2]
ACL_SCRIPT = ROOT / "deploy" / "kafka" / "setup-acls.sh"

Grant = tuple[str, str, str, str, str]
"""(principal, operation, resource, pattern, name), as the kafka-acls job grants it."""


def acl_plan(parties: list[str], tmp_path: Path) -> tuple[set[str], set[Grant]]:
    """The users and grants the kafka-acls job would create for ``parties``."""
    env = {"PATH": os.environ["PATH"], "AGENCIES": " ".join(parties), "DRY_RUN": "1"}
    done = subprocess.run(
        ["bash", str(ACL_SCRIPT)], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    users, grants = set(), set()
    for line in done.stdout.splitlines():
        kind, *rest = line.split()
        if kind == "user":
            users.add(rest[0])
            continue
        principal, resource, pattern, name, operations = rest
        for operation in operations.split(","):
            grants.add((principal.removeprefix("User:"), operation, resource, pattern, name))
    return users, grants


def allowed(grants: set[Grant], principal: str, operation: str, resource: str, name: str) -> bool:
    """Kafka's decision with deny by default: some grant to ``principal`` for the
    operation (Read and Write imply Describe) on a literal name equal to ``name`` or a
    prefix of it."""
    implied = {operation} | ({"Read", "Write"} if operation == "Describe" else set())
    return any(
        who == principal
        and what in implied | {"All"}
        and kind == resource
        and (granted == name if pattern == "literal" else name.startswith(granted))
        for who, what, kind, pattern, granted in grants
    )


# ---- the catalogue ------------------------------------------------------------------------


def test_an_office_a_system_serves_has_no_inbox_of_its_own():
    catalogue = with_systems()
    assert catalogue.kafka_inboxes() == [
        "siak-jatim",
        "siak-banten",
        "disdukcapil-3576",
        "bpjs-kesehatan",
    ]
    assert catalogue.inbox_of("disdukcapil-3574") == "siak-jatim"
    assert catalogue.inbox_of("disdukcapil-3576") == "disdukcapil-3576"
    assert catalogue.served_by("siak-jatim") == ["disdukcapil-3514", "disdukcapil-3574"]
    assert catalogue.served_by("disdukcapil-3576") == ["disdukcapil-3576"]
    assert catalogue.served_by("samsat-3514") == []  # a webhook office reads no inbox


def test_an_office_no_system_serves_keeps_its_own_inbox_beside_every_national_system():
    catalogue = load_catalogue()
    systems = [system.code for system in catalogue.systems]
    assert systems  # the national package's, whether an office names them yet or not
    assert catalogue.kafka_inboxes() == systems + catalogue.kafka_agencies()


@pytest.mark.parametrize(
    ("served", "refusal"),
    [
        # A system and an office would share one topic pair and one principal.
        ({"disdukcapil-3576": ["disdukcapil-3514"]}, "an agency has the same code"),
        # A webhook office has no inbox for a system to read.
        ({"siak-jatim": ["samsat-3514"]}, "samsat-3514: unknown Kafka system siak-jatim"),
    ],
    ids=["a system named as an office", "a webhook office"],
)
def test_a_catalogue_whose_systems_do_not_resolve_is_refused(served, refusal):
    with pytest.raises(ValidationError, match=refusal):
        with_systems(served)


def test_a_system_declared_before_its_offices_join_already_has_its_inbox():
    catalogue = with_systems({"siak-jatim": ["disdukcapil-3514"], "siak-papua": []})
    assert "siak-papua" in catalogue.kafka_inboxes()
    assert catalogue.served_by("siak-papua") == []


def test_an_office_naming_an_undeclared_system_is_refused():
    catalogue = with_systems()
    document = catalogue.model_dump()
    document["systems"] = [s for s in document["systems"] if s["code"] != "siak-banten"]
    with pytest.raises(ValidationError, match="disdukcapil-3671: unknown Kafka system"):
        Catalogue.model_validate(document)


# ---- the topic registry -------------------------------------------------------------------


def test_each_system_gets_one_wider_topic_pair_and_its_offices_none():
    settings = Settings(kafka_partitions=3, kafka_system_partitions=12)
    topics = Topics("mpp")
    specs = {spec.name: spec.partitions for spec in topics.for_catalogue(with_systems(), settings)}
    for system in ("siak-jatim", "siak-banten"):
        assert specs[topics.agency_inbox(system)] == 12
        assert specs[topics.agency_updates(system)] == 12
    assert specs[topics.agency_inbox("disdukcapil-3576")] == 3
    assert specs[topics.submitted] == 3
    for office in ("disdukcapil-3514", "disdukcapil-3574", "disdukcapil-3671"):
        assert topics.agency_inbox(office) not in specs
        assert topics.agency_updates(office) not in specs
    assert list(specs) == topics.all(with_systems().kafka_inboxes())


def test_the_offices_topics_are_what_they_were_and_each_system_adds_one_wide_pair():
    settings, catalogue = Settings(), load_catalogue()
    specs = Topics("mpp").for_catalogue(catalogue, settings)
    before = Topics("mpp").specs(catalogue.kafka_agencies(), settings.kafka_partitions)
    wide = [spec for spec in specs if spec not in before]
    assert [spec for spec in specs if spec in before] == before
    assert {spec.name for spec in wide} == {
        name for system in catalogue.systems for name in Topics("mpp").for_agencies([system.code])
    }
    assert {spec.partitions for spec in wide} == {settings.kafka_system_partitions}


# ---- the secure profile -------------------------------------------------------------------


def test_a_second_system_cannot_read_the_first_systems_inbox(tmp_path):
    users, grants = acl_plan(with_systems().kafka_inboxes(), tmp_path)
    jatim, banten = "agency-siak-jatim", "agency-siak-banten"
    inbox, updates = "mpp.agency.siak-jatim.inbox", "mpp.agency.siak-jatim.updates"
    assert allowed(grants, jatim, "Read", "topic", inbox)
    assert allowed(grants, jatim, "Write", "topic", updates)
    assert allowed(grants, jatim, "Read", "group", "siak-jatim.inbox-reader")
    assert not allowed(grants, banten, "Read", "topic", inbox)
    assert not allowed(grants, banten, "Describe", "topic", inbox)
    assert not allowed(grants, banten, "Write", "topic", updates)
    assert not allowed(grants, banten, "Read", "group", "siak-jatim.inbox-reader")
    assert not allowed(grants, jatim, "Write", "topic", "mpp.agency.siak-banten.updates")
    # Routing writes the inbox and reads the updates; audit reads both.
    assert allowed(grants, "routing", "Write", "topic", inbox)
    assert allowed(grants, "routing", "Read", "topic", updates)
    assert allowed(grants, "audit", "Read", "topic", inbox)
    # One principal per system; an office a system serves has none of its own.
    agencies = {user for user in users if user.startswith("agency-")}
    assert agencies == {jatim, banten, "agency-disdukcapil-3576", "agency-bpjs-kesehatan"}


def test_a_lone_office_reaches_only_its_own_inbox_beside_the_systems(tmp_path):
    _, grants = acl_plan(with_systems().kafka_inboxes(), tmp_path)
    office = "agency-disdukcapil-3576"
    assert allowed(grants, office, "Read", "topic", "mpp.agency.disdukcapil-3576.inbox")
    for system in ("siak-jatim", "siak-banten"):
        assert not allowed(grants, office, "Read", "topic", f"mpp.agency.{system}.inbox")
        assert not allowed(
            grants, f"agency-{system}", "Read", "topic", "mpp.agency.disdukcapil-3576.inbox"
        )


def test_the_acl_parties_are_read_off_the_catalogue():
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "kafka" / "acls.py"), "--parties"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stdout.split() == load_catalogue().kafka_inboxes()
