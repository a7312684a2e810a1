"""Outside local mode a service refuses the settings that are for the local stack only,
naming each, and exits before it serves."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.production import EX_CONFIG, LOCAL_ONLY, refusals
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "intake", "routing", "notify", "audit")


def test_every_secret_with_a_local_default_is_checked():
    with_defaults = {
        name
        for name, field in Settings.model_fields.items()
        if isinstance(field.default, SecretStr)
    }
    assert with_defaults
    assert with_defaults <= set(LOCAL_ONLY)


@pytest.mark.parametrize("name", sorted(LOCAL_ONLY))
def test_each_setting_is_checked_in_exactly_the_services_that_read_it(name):
    readers = {
        service
        for service in SERVICES
        if any(
            re.search(rf"\.{name}\b", path.read_text())
            for path in (ROOT / "services" / service).rglob("*.py")
        )
    }
    assert readers == set(LOCAL_ONLY[name].services)


def production(**values) -> Settings:
    return Settings(environment="production", **values)


def test_local_mode_accepts_the_local_defaults():
    for service in SERVICES:
        assert refusals(Settings(environment="local"), service) == []


def test_production_names_each_local_default_a_service_still_has():
    named = {
        service: sorted(re.findall(r"MPP_[A-Z_]+", " ".join(refusals(production(), service))))
        for service in SERVICES
    }
    assert named == {
        "identity": [
            "MPP_AUTH_CODE_SECRET",
            "MPP_BLIND_INDEX_SECRET",
            "MPP_CODE_DELIVERY_SECRET",
            "MPP_DOCUMENT_LINK_SECRET",
            "MPP_DUKCAPIL_TOKEN",
            "MPP_OIDC_KEY_SECRET",
        ],
        "intake": ["MPP_DOCUMENT_LINK_SECRET"],
        "routing": ["MPP_DOCUMENT_LINK_SECRET"],
        "notify": [
            "MPP_CODE_DELIVERY_SECRET",
            "MPP_MESSAGING_PROVIDER_TOKEN",
            "MPP_SURVEY_TOKEN_SECRET",
            "MPP_VAPID_PRIVATE_KEY",
        ],
        "audit": [],
    }
    private = production(webhook_allow_private_targets=True, document_link_secret="x" * 32)
    assert "MPP_WEBHOOK_ALLOW_PRIVATE_TARGETS" in refusals(private, "routing")[0]
    open_push = production(
        push_allow_private_endpoints=True,
        code_delivery_secret="b" * 32,
        messaging_provider_token="issued-by-the-provider",
        survey_token_secret="d" * 32,
        vapid_private_key="/run/secrets/vapid_key",
    )
    assert "MPP_PUSH_ALLOW_PRIVATE_ENDPOINTS" in refusals(open_push, "notify")[0]


def test_production_refuses_a_vapid_key_made_on_this_host():
    """Unset, notify would make a key of its own: browsers subscribed to another replica's
    key, or to a key lost with a volume, would never receive a notice again."""
    for unset in (None, ""):
        (line,) = [
            r for r in refusals(production(vapid_private_key=unset), "notify") if "VAPID" in r
        ]
        assert "openssl genpkey -algorithm EC" in line


def test_production_starts_once_every_secret_is_set():
    settings = production(
        auth_code_secret="a" * 32,
        blind_index_secret="e" * 32,
        code_delivery_secret="b" * 32,
        document_link_secret="c" * 32,
        dukcapil_token="issued-by-dukcapil",
        oidc_key_secret="f" * 32,
        messaging_provider_token="issued-by-the-provider",
        survey_token_secret="d" * 32,
        vapid_private_key="/run/secrets/vapid_key",
    )
    for service in SERVICES:
        assert refusals(settings, service) == []


def test_a_service_with_local_secrets_in_production_exits_before_serving():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPP_")}
    env |= {
        "MPP_ENVIRONMENT": "production",
        "MPP_DOCUMENT_LINK_SECRET": "set-by-the-operator-0123456789",
        "MPP_KAFKA_BOOTSTRAP": "127.0.0.1:9",  # never reached
        "MPP_MONGO_URI": "mongodb://127.0.0.1:9/?directConnection=true",
        "MPP_LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.identity"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EX_CONFIG, result.stderr
    assert "refusing to start in production" in result.stderr
    for name in ("MPP_AUTH_CODE_SECRET", "MPP_CODE_DELIVERY_SECRET", "MPP_DUKCAPIL_TOKEN"):
        assert f"{name} masih bernilai bawaan lokal / still has its local default" in result.stderr
    assert "secrets.token_urlsafe(32)" in result.stderr
    assert "MPP_DOCUMENT_LINK_SECRET" not in result.stderr
    assert "service started" not in result.stderr + result.stdout
