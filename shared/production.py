"""What a service refuses to start with outside local mode.

Every setting has a default that runs the local stack (``make up``) with no
configuration, secrets included: ``local-code-key`` and the like are in the repository,
so a deployment that kept one would let anyone forge what it protects (document links,
stored one-time codes) or talk to the real Dukcapil and SMS provider with a token that
does not exist. A key left unset is made on first use for the local stack; where that
would break something (browsers' push subscriptions hang on the VAPID key) it is refused
too. With ``MPP_ENVIRONMENT=production`` each service checks the settings it
uses and, when one is still at its local default, names each such setting and exits
before it serves a request (:func:`refuse_local_defaults`).
"""

import sys
from dataclasses import dataclass

from pydantic import SecretStr

from shared.settings import Settings

__all__ = ["EX_CONFIG", "LOCAL_ONLY", "refusals", "refuse_local_defaults"]

EX_CONFIG = 78  # sysexits.h: a configuration error

_RANDOM = (
    "set it to a random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
)


@dataclass(frozen=True)
class LocalOnly:
    """A setting whose default is for the local stack only, the services that read it,
    and what to do instead."""

    services: tuple[str, ...]
    instead: str
    unset: bool = False
    """Refused when unset (a key the local stack makes for itself), not when left at a
    default value."""
    only_if: str | None = None
    """A switch setting: refused only while it is on (a secret of a feature turned off
    is never used)."""


LOCAL_ONLY: dict[str, LocalOnly] = {
    "auth_code_secret": LocalOnly(("identity",), _RANDOM),
    "blind_index_secret": LocalOnly(("identity",), _RANDOM),
    "oidc_key_secret": LocalOnly(("identity",), _RANDOM),
    "code_delivery_secret": LocalOnly(
        ("identity", "notify"), _RANDOM + ", the same on identity and notify"
    ),
    "document_link_secret": LocalOnly(
        ("identity", "intake", "routing"),
        _RANDOM + ", the same on identity, intake and routing",
    ),
    "survey_token_secret": LocalOnly(("notify",), _RANDOM),
    "simponi_secret": LocalOnly(
        ("routing",),
        "set it to the secret agreed with SIMPONI for this platform",
        only_if="payments_billing",
    ),
    "snap_client_secret": LocalOnly(
        ("routing",),
        "set it to the client secret agreed with the region's bank",
        only_if="payments_billing",
    ),
    "snap_bank_public_key": LocalOnly(
        ("routing",),
        "set it to the public key the region's bank registered for SNAP",
        only_if="payments_billing",
    ),
    "snap_platform_private_key": LocalOnly(
        ("routing",),
        "set it to the private key whose public half the region's bank registered for the platform",
        only_if="payments_billing",
    ),
    "dukcapil_token": LocalOnly(
        ("identity",), "set it to the token Dukcapil issued for this platform"
    ),
    "messaging_provider_token": LocalOnly(
        ("notify",), "set it to the token of the SMS/WhatsApp provider"
    ),
    "push_allow_private_endpoints": LocalOnly(
        ("notify",), "unset it: plain HTTP and private push endpoints are for the local stack"
    ),
    "vapid_private_key": LocalOnly(
        ("notify",),
        "set it to a P-256 key kept for good (e.g. `openssl genpkey -algorithm EC -pkeyopt "
        "ec_paramgen_curve:P-256 | base64 -w0`): browsers subscribe to its public half, so a "
        "key made on this host would be lost with it, and every subscription with it",
        unset=True,
    ),
    "webhook_allow_private_targets": LocalOnly(
        ("routing",), "unset it: plain HTTP and private webhook targets are for the local stack"
    ),
}
"""Setting name → who reads it; a test keeps it in step with the settings class and the
services' code."""


def _still_local(settings: Settings, name: str) -> bool:
    switch = LOCAL_ONLY[name].only_if
    if switch is not None and not getattr(settings, switch):
        return False
    value = getattr(settings, name)
    if LOCAL_ONLY[name].unset:
        return value is None or (isinstance(value, SecretStr) and not value.get_secret_value())
    default = Settings.model_fields[name].default
    if isinstance(value, SecretStr) and isinstance(default, SecretStr):
        return value.get_secret_value() == default.get_secret_value()
    if isinstance(default, str):
        return value == default
    return bool(value)  # a switch that only the local stack turns on


def refusals(settings: Settings, service: str) -> list[str]:
    """One sentence per setting ``service`` may not keep outside local mode."""
    if settings.is_local:
        return []
    return [
        f"MPP_{name.upper()} masih bernilai bawaan lokal / still has its local default; "
        f"{need.instead}"
        for name, need in LOCAL_ONLY.items()
        if service in need.services and _still_local(settings, name)
    ]


def refuse_local_defaults(settings: Settings, service: str) -> None:
    """Exit with :data:`EX_CONFIG`, naming each setting to set, when any is refused."""
    found = refusals(settings, service)
    if not found:
        return
    lines = [
        f"{service}: tidak dijalankan di produksi / refusing to start in production "
        "(MPP_ENVIRONMENT=production):",
        *(f"  - {line}" for line in found),
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
    raise SystemExit(EX_CONFIG)
