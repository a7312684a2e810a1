"""Typed settings, read once from the environment (prefix ``MPP_``).

Every setting has a default that matches the local stack (``make up``), so a fresh clone
runs with no configuration; containers and production override them through the same
variables. The object is frozen: configuration does not change after it is read.
"""

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


_LOCAL_SNAP_BANK_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3kb2WV8VOzx/5grCvEnR\n"
    "QWu/PJR+djimpylVmr2qmCxdMnLjzOEEnfXkTJ9wt8thhxEaUgSzqESPAA37aBrz\n"
    "26PVDsNk5LpojNAiAR7oufo1CfyjVirjpB6zFs8OAmVqW92TwWF/+Kq6MxxSXXHL\n"
    "ya7p90SkWIbXHagp6nBx2xckFGHHv0ZjEZQcTQu9oto6FQYsr6N6jXAQKkxHX0XL\n"
    "MEVnh5RUhAk9d25XUi/hkYvlTNn1pfEwVf9sDcs5G6uR3IIe5du8IUrR9vm2JiKz\n"
    "IFCYfwgF+sKt6x0VemoqiMagOgMyFA2FP42R7szJXniDmb5SePxscYJFy5tNHTa1\n"
    "4QIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
)
"""The local SNAP bank simulator's public key (its private half is in ops/simulators)."""

_LOCAL_SNAP_PLATFORM_PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCzp2pxcgQkqr6t\n"
    "pDgRiVAyUkXBRq+xYEaE6wedydEtNNQddHNi7iNyCh3nkb+1ftk9q7aNmD90jLd6\n"
    "n+J3AHXEe4ZpCyShyBf2gwAoDF6StsxoJyV3J6cv+IA1X/mHAFwCwn5pn7su1zzF\n"
    "RNX8AUgMEx9HFORLUsh/HAcJ7IVx1izTVONwiRwUJmTamV0V7P8QR5tVlGuUcgpL\n"
    "eGGhwDb7jQXCcX033n8FBm+WootQQZjG1sT6UnTRUHmPhWGKaSfq6PA8yI1p8bFa\n"
    "nSF+KRzMEgi5yCKiQKEJNWI+Oh4PefzMxYV5krj51rQsgoRUZXpNeXcYVpxQ8Hqt\n"
    "5MS+h/SpAgMBAAECggEAB+o4+aUzotyVk1eIKNhLMjcHCmGE3WRdIaoBJzsm/hOK\n"
    "bNRz6PM47eNIN1WSg/qCCQIxrsH7DwrMDUOnWeV+oBjDw95RJNeInBG1cLjqyb1H\n"
    "+tFkCICKEHD6+l8EwqU0veJiaLY4LEjLTUhKbSnZShQ67TTHF2fJnDVYkgqw7mJA\n"
    "FqyT0X/fUQ6grqxCfoZ3p+c22QVyU7cxsP97Yn62HnYIo0+IqGAloXacEE7MkqcK\n"
    "UjEzp/69VHm1smzWWArojmwMQlHpbYwK/tWnEN7n0+3tq4T0/VVUbXXacquRzXTT\n"
    "xhutUaDfSsyNmYXTu8XHSmxlAQu1Szg8krLlTF93SQKBgQD7I3zpEFNCbCx2Aiua\n"
    "0jAra8sPKJJLBIQu9yBfD4Ug9NhWHBJeo06dLumuP50bdxGbEUcArVVwhIPprGGb\n"
    "AxP+m3bO7f803hJx3iz6Khc6ubKKk/clX0Uyz2SNgWDR7eF5gGYdDN5AWTkDkjUk\n"
    "HqjDeP2znf5hDUaRcZWrLiZNgwKBgQC3Ia/q8Q3hI8FFUw4Tlna1Ky1kurmZdG1J\n"
    "56gvypyt5A32DCQ//Bu7oKgd0qjLZbknvpajCNwnL0VOUt31gE5Pjc+jjQNLeOLO\n"
    "NwvLuPiU64BGR6FNckzJEKax0S5A/KfzDJV77thyJ5MxN3bRYSqP6yZm9pZTHv+y\n"
    "PZjtTBopYwKBgQDRx5sXtCNYYLPi/30dHmZOXwSH7QQG1gb0lEneHkC+fsgXZeuS\n"
    "Uifg9McOXuUFhDiYp53/2sp76rWmA/CkY7XYAFUGFZgQuU/+/e/kKDSvQV76kw7n\n"
    "kOVkxAjiiygtM+AcdjzWF2GvrtgJO6BYQ6QFZJPH7joHJ+fCpna3Px2PsQKBgQCj\n"
    "jq6zQn+G6IwhAkC8NdHnlJyCLlK9P0Kskv2fUXIFzHy7l7R4gQ2z0ZTUreSbZEqt\n"
    "uIaJLcySIqHfhhs+vE00uA8On06mBV1rl7YtSRKazopOOoNRzBfQK9L1VUHeQMkv\n"
    "RbnsajFeIwJPHp47+nAtAXPW2b0Al9r+sgz3QtTKyQKBgH9s7uyRbjSh2N1XfRIs\n"
    "2MVQW956VmR7hk72TfXpyEffdrKGLGoSVo8V7WSBi9wDDJi7kLxfko4hayT8a01+\n"
    "YD4bsGMaMWgViym+4QoSFbjRcycy29c6g//417pSfR+Mi583mPKDj1Jg51y2GyKn\n"
    "DsiITE/rFNpe0csjJ1fN47Jn\n"
    "-----END PRIVATE KEY-----\n"
)
"""The platform's SNAP key on the local stack only: it signs the access-token requests
routing makes to the local bank simulator (which holds its public half)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MPP_", frozen=True, extra="ignore")

    # Where this process runs (see docs/operations.md, "Local mode and production")
    environment: Literal["local", "production"] = Field(
        "local",
        description="local: a developer's machine, tests and the open compose stack; the "
        "local defaults of secrets are accepted. production: anything citizens reach: start-up "
        "refuses a secret left at its local default, cookies are Secure and every response "
        "carries HSTS.",
    )
    trusted_proxies: Annotated[list[str] | None, NoDecode] = Field(
        None,
        description="Addresses or CIDR blocks of the reverse proxies whose X-Forwarded-For, "
        "X-Forwarded-Proto and Forwarded headers are believed, comma-separated or JSON "
        "(e.g. 10.0.5.0/24). The client is the right-most address not in this list. "
        "Unset: 127.0.0.1 and ::1 in local mode, none in production.",
    )

    # Kafka
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers.")
    kafka_idempotent_producer: bool = Field(
        False,
        description="Idempotent producer (turn on for Apache Kafka; the local broker "
        "rejects InitProducerId).",
    )
    kafka_partitions: int = Field(3, ge=1, description="Partitions per topic at provisioning.")
    kafka_session_timeout_ms: int = Field(
        10_000,
        ge=3_000,
        le=300_000,
        description="A consumer group member is dropped after this long without a "
        "heartbeat (one a second). A broker also holds a new group's first join for part "
        "of it (the local broker half of it, Apache Kafka group.initial.rebalance.delay.ms), "
        "so the tests, which start hundreds of fresh groups, use a short one.",
    )
    kafka_system_partitions: int = Field(
        12,
        ge=1,
        description="Partitions of each inbox and updates topic of an agency system that "
        "serves many offices (docs/operations.md, section 3).",
    )
    kafka_replication_factor: int = Field(1, ge=1, description="Replicas per topic.")
    catalogue_packages_dir: str | None = Field(
        None,
        description="A directory of catalogue packages (national.json and regions/<code>.json) "
        "served until packages are published, instead of the ones shipped in "
        "shared/catalogue/packages/ (the national-scale benchmark's generated catalogue).",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How clients connect to Kafka (SASL for the secure deployment)."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="SASL mechanism when the protocol is SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL principal of this process.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password.")
    namespace: str = Field(
        "mpp",
        pattern=r"^[a-z][a-z0-9-]*$",
        description="Prefix of every topic, consumer group and database name.",
    )

    # MongoDB
    mongo_uri: str = Field(
        "mongodb://127.0.0.1:27017/?directConnection=true",
        description="MongoDB connection string (a replica set: transactions need one).",
    )

    identity_database: str | None = Field(
        None,
        description="Identity's database on the MongoDB server (accounts, staff, sessions, "
        "codes, NIK owners, account history). Unset: <namespace>_identity (mpp_identity "
        "locally). No other service opens it; intake asks identity's API.",
    )

    # HTTP
    http_host: str = Field("127.0.0.1", description="Interface the HTTP servers bind to.")
    intake_port: int = Field(8000, description="Intake HTTP port.")
    routing_port: int = Field(8001, description="Routing HTTP port.")
    notify_port: int = Field(8002, description="Notify HTTP port.")
    audit_port: int = Field(8003, description="Audit HTTP port.")
    identity_port: int = Field(8004, description="Identity HTTP port.")

    # Delivery
    intake_timeline_linger_ms: int = Field(
        200,
        ge=0,
        le=5_000,
        description="After applying a poll of fewer than 32 status changes, intake waits "
        "this long before reading the next, so changes arriving meanwhile are applied to the "
        "citizens' timelines in one write (~0.5 instead of 2 per application at 10 "
        "applications/s); the timeline is at most this much later than the change. 0: at once.",
    )
    handler_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per event before it is dead-lettered."
    )
    retry_backoff_seconds: float = Field(
        0.2, ge=0, description="First retry delay; doubles per attempt."
    )
    outbox_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="Outbox relay poll interval when not woken by a commit (its own, or "
        "another replica's through a change stream).",
    )
    outbox_lease_seconds: float = Field(
        4.0,
        gt=0,
        description="How long a silent outbox relay keeps its service's lease: another "
        "replica takes over after this (plus up to two renewal intervals) when it dies.",
    )
    outbox_lease_renew_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the outbox relay's lease is renewed, and how often the "
        "other replicas look at it; at most half the lease.",
    )
    kafka_retention_days: float = Field(
        30,
        gt=0,
        description="How long the brokers keep records (the Compose stack's "
        "KAFKA_RETENTION_MS): what the dedupe window is checked against when the broker "
        "does not report the topics' retention.ms.",
    )
    dedupe_retention_days: int = Field(
        37,
        ge=1,
        description="How long a consumer remembers an event it applied (routing's "
        "seen_events, agencies' Idempotency-Keys). At least the topics' retention: a "
        "record can be read again while the broker keeps it, and Kafka deletes whole log "
        "segments, so a record may outlive retention.ms by a segment's age (a week by "
        "default). A start-up warning names a shorter window.",
    )

    # Citizen accounts and tokens (see docs/intake.md)
    auth_private_key: SecretStr | None = Field(
        None,
        description="Ed25519 private key that signs access tokens (intake only): a PEM file "
        "path or the PEM in base64. Unset: a key pair in <local_dir>/keys/, made on first use.",
    )
    auth_public_key: str | None = Field(
        None,
        description="Ed25519 public key that verifies access tokens (every service): a PEM "
        "file path or the PEM in base64. Unset: <local_dir>/keys/, made on first use.",
    )
    auth_issuer: str = Field("mpp-intake", description="iss claim of access tokens.")
    auth_audience: str = Field("mpp", description="aud claim of access tokens.")
    auth_token_minutes: int = Field(60, ge=1, le=1440, description="Access token lifetime.")

    # Whose tokens every service accepts (see docs/tokens.md)
    oidc_issuer: str | None = Field(
        None,
        description="The OpenID Connect issuer whose access tokens every service accepts (its "
        "iss claim; its keys come from <issuer>/.well-known/openid-configuration → jwks_uri), "
        "e.g. a region's Keycloak realm or the national login. Unset: the platform's own key "
        "(MPP_AUTH_PUBLIC_KEY) and issuer (MPP_AUTH_ISSUER).",
    )
    oidc_jwks_url: str | None = Field(
        None,
        description="The issuer's JWK set, when discovery is not to be used (or not served).",
    )
    oidc_audience: str | None = Field(
        None, description="aud claim the tokens must carry. Unset: MPP_AUTH_AUDIENCE."
    )
    oidc_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["EdDSA", "RS256", "ES256"],
        description="Signature algorithms accepted, comma-separated or JSON; none and HS* "
        "are refused here, whatever is set.",
    )
    oidc_subject_claim: str = Field(
        "sub",
        description="Claim naming the caller (a dotted path): an account id, or a staff "
        "member's username (preferred_username for Keycloak staff).",
    )
    oidc_roles_claim: str = Field(
        "roles",
        description="Claim holding the caller's roles, a dotted path (realm_access.roles "
        "for Keycloak).",
    )
    oidc_role_map: dict[str, str] | None = Field(
        None,
        description="The issuer's role names to the platform's, JSON: {\"mpp-officer\": "
        '"officer"}. Roles not in the map are dropped; a token left with none is refused. '
        "Unset: the platform's own role names (citizen, officer, supervisor, counter, kiosk, "
        "mobile_unit, queue_kiosk, counter_officer, finance_officer, region_admin, "
        "national_admin, admin, "
        "service) are kept and any other dropped.",
    )
    oidc_agency_claim: str = Field(
        "agency", description="Claim (dotted path) naming an officer's agency code."
    )
    oidc_region_claim: str = Field(
        "region", description="Claim (dotted path) naming an operator's region code."
    )
    oidc_name_claim: str = Field(
        "name", description="Claim (dotted path) holding a staff member's display name."
    )
    oidc_jwks_cache_seconds: float = Field(
        300.0,
        gt=0,
        description="How long the issuer's keys are used before they are fetched again.",
    )
    oidc_jwks_min_refetch_seconds: float = Field(
        30.0,
        ge=0,
        description="Least time between two fetches of the issuer's keys: a token naming an "
        "unknown key id fetches them again at most this often.",
    )
    oidc_http_timeout_seconds: float = Field(
        5.0, gt=0, description="Timeout of one request for the issuer's discovery or keys."
    )
    auth_refresh_token_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Refresh token lifetime; each use returns a new one that lives as long.",
    )
    auth_code_minutes: int = Field(
        10, ge=1, le=60, description="How long a one-time code (contact check, reset) is valid."
    )
    auth_code_attempts: int = Field(
        5, ge=1, le=10, description="Wrong tries that kill a one-time code; then ask a new one."
    )
    auth_codes_per_window: int = Field(
        3, ge=1, description="One-time codes sent to one email or phone per window."
    )
    auth_code_window_minutes: int = Field(
        15, ge=1, description="Length of the window that limits codes per contact."
    )
    code_delivery_secret: SecretStr = Field(
        SecretStr("local-code-delivery-key"),
        description="Key shared by intake and notify only, sealing one-time codes on the "
        "accounts topic so the audit log never holds a usable one. The default is for the "
        "local stack only; production sets its own.",
    )
    auth_code_secret: SecretStr = Field(
        SecretStr("local-code-key"),
        description="HMAC key under which intake stores one-time codes (never in plaintext). "
        "The default is for the local stack only; production sets its own.",
    )
    auth_code_free_failures: int = Field(
        10,
        ge=1,
        description="Wrong one-time codes one account may send, across its codes and from "
        "any client, before each further try waits (429 with Retry-After).",
    )
    auth_code_backoff_seconds: float = Field(
        60.0, gt=0, description="First wait after those failures; doubles per failure."
    )
    auth_code_backoff_max_seconds: float = Field(
        21600.0, gt=0, description="Longest wait between one account's tries at a code."
    )
    auth_code_client_free_failures: int = Field(
        20,
        ge=1,
        description="Wrong one-time codes one client may send, across accounts, before it "
        "waits as a sign-in does (MPP_AUTH_SIGNIN_BACKOFF_SECONDS, doubling).",
    )
    auth_signin_free_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords one client may send for one username before it waits.",
    )
    auth_signin_backoff_seconds: float = Field(
        1.0, gt=0, description="First wait after the free failures; doubles per failure."
    )
    auth_signin_backoff_max_seconds: float = Field(
        900.0, gt=0, description="Longest wait between sign-in attempts of one client."
    )
    auth_hash_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="Password hashes and checks (argon2) running at once, on their own threads.",
    )

    # The OpenID Connect provider (see docs/oidc.md)
    oidc_key_secret: SecretStr = Field(
        SecretStr("local-oidc-key"),
        description="Key under which the provider's private signing keys are sealed in its "
        "database (AES-256-GCM). The default is for the local stack only; production sets "
        "its own.",
    )
    oidc_key_cache_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How long a process signs with the signing key it read last: after a "
        "rotation every replica signs with the new key within this time.",
    )
    oidc_code_seconds: int = Field(
        120, ge=10, le=600, description="How long an authorization code may be exchanged."
    )

    # Intake's HTTP safety limits
    intake_body_limit_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body (except document uploads)."
    )
    intake_document_limit_bytes: int = Field(
        10 * 1_048_576, ge=1024, description="Largest document upload (PDF, JPEG, PNG)."
    )
    intake_rate_per_ip: int = Field(
        1200, ge=1, description="Requests per minute from one IP address."
    )
    intake_rate_per_account: int = Field(
        300, ge=1, description="Requests per minute from one account."
    )
    idempotency_ttl_hours: int = Field(
        24, ge=1, description="How long an Idempotency-Key and its response are kept."
    )
    mobile_capture_window_hours: int = Field(
        72,
        ge=1,
        le=24 * 31,
        description="How old an application captured offline by a mobile service unit may be "
        "when its batch arrives (its captured_at); older ones are refused, item by item. The "
        "batch's Idempotency-Keys are kept this long plus MPP_IDEMPOTENCY_TTL_HOURS.",
    )
    mobile_batch_max_items: int = Field(
        100, ge=1, le=1000, description="Most applications in one mobile unit's batch."
    )
    upload_expiry_hours: int = Field(
        24,
        ge=1,
        description="How long an unfinished resumable upload is kept after its last chunk "
        "before it is deleted.",
    )

    # Routing: agency webhooks and the SLA clock (see docs/routing.md)
    webhook_retry_schedule: str = Field(
        "30s,5m,30m,2h,8h,24h",
        pattern=r"^\s*\d+(\.\d+)?(ms|s|m|h)(\s*,\s*\d+(\.\d+)?(ms|s|m|h))*\s*$",
        description="Delays before each retry of a failed webhook delivery (after the last, "
        "the delivery fails for good). Units ms, s, m, h.",
    )
    webhook_retry_jitter: float = Field(
        0.2, ge=0, le=1, description="Each retry delay is stretched by up to this fraction."
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="One delivery attempt.")
    webhook_poll_seconds: float = Field(
        1.0, gt=0, description="How often due webhook deliveries are looked for."
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Local mode: allow plain HTTP and webhook endpoints on loopback or "
        "private addresses (the demo agency systems of make up, tests). Never in production.",
    )
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Signing secret per webhook agency, JSON: {"dpmptsp-3514": "whsec_..."}.',
    )
    webhook_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Endpoint per agency overriding the catalogue's (local demo systems).",
    )
    sla_sweep_seconds: float = Field(
        300.0, gt=0, description="How often applications past their SLA are looked for."
    )
    escalation_cc_email: str | None = Field(
        None, description="Operator address copied on every escalation to a supervisor."
    )

    # Routing: bills and payments (docs/payments.md)
    payments_billing: bool = Field(
        False,
        description="Bill services whose fee rule says so through SIMPONI and the region's "
        "bank; off: no bill is made and fees are paid as before, outside the platform. "
        "`make up` turns it on with the local simulators.",
    )
    simponi_url: str = Field(
        "http://localhost:8023",
        description="Base URL of SIMPONI's billing service (PNBP billing codes); locally the "
        "simulator `make up` starts.",
    )
    simponi_secret: SecretStr = Field(
        SecretStr("local-simponi-secret"),
        description="Shared secret signing requests to SIMPONI and its payment callbacks "
        "(HMAC-SHA256). The default is for the local simulator only.",
    )
    simponi_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="One request to SIMPONI (a billing code or an inquiry)."
    )
    snap_client_key: str = Field(
        "local-bank",
        description="The region's bank's client key in SNAP (its X-CLIENT-KEY and X-PARTNER-ID "
        "when it calls the platform).",
    )
    snap_client_secret: SecretStr = Field(
        SecretStr("local-snap-secret"),
        description="The secret shared with the region's bank: SNAP's HMAC-SHA512 signature "
        "of each call. The default is for the local simulator only.",
    )
    snap_bank_public_key: str = Field(
        _LOCAL_SNAP_BANK_PUBLIC_KEY,
        description="PEM of the public key the bank signs its SNAP access-token requests "
        "with (SHA256withRSA). The default is the local simulator's.",
    )
    snap_token_seconds: int = Field(
        900, ge=60, le=3600, description="How long a SNAP access token given to the bank lasts."
    )
    snap_bank_url: str = Field(
        "http://localhost:8024",
        description="Base URL of the region's bank's SNAP API, which routing calls to refund a "
        "paid levy; locally the simulator `make up` starts.",
    )
    snap_platform_private_key: SecretStr = Field(
        SecretStr(_LOCAL_SNAP_PLATFORM_PRIVATE_KEY),
        description="PEM of the platform's RSA private key, signing its SNAP access-token "
        "requests to the bank (SHA256withRSA); the bank holds its public half. The default "
        "is for the local simulator only.",
    )
    snap_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="One request to the region's bank (a token or a refund)."
    )
    payments_sweep_seconds: float = Field(
        5.0,
        gt=0,
        description="How often routing asks for the billing codes of new bills and expires "
        "bills past their expiry.",
    )
    payments_issue_attempts: int = Field(
        5,
        ge=1,
        le=50,
        description="Attempts to get a billing code for a bill before it is failed (the "
        "application then waits for an operator, see docs/payments.md).",
    )
    # Routing: consultations and complaints, and SP4N-LAPOR! (see docs/complaints.md)
    complaint_sweep_seconds: float = Field(
        300.0, gt=0, description="How often the complaints' 3/5/10 working-day timers run."
    )
    lapor_url: str = Field(
        "http://localhost:8021",
        description="Base URL of SP4N-LAPOR!'s complaint API; locally the simulator "
        "`make up` starts.",
    )
    lapor_token: SecretStr | None = Field(
        None,
        description="Bearer token for SP4N-LAPOR!. Unset: requests carry none (the local "
        "simulator then asks for none; the real LAPOR! refuses them, and complaints wait, "
        "stored, until it is set).",
    )
    lapor_sync_seconds: float = Field(
        60.0, gt=0, description="How often complaints are forwarded to and synced from LAPOR!."
    )
    lapor_timeout_seconds: float = Field(5.0, gt=0, le=60, description="One LAPOR! request.")
    lapor_retries: int = Field(
        2, ge=0, le=5, description="Retries of one LAPOR! request (timeout, 5xx), with backoff."
    )
    lapor_backoff_seconds: float = Field(
        0.5, gt=0, le=30, description="First retry delay; doubled each retry."
    )
    lapor_retry_after_seconds: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="After a sync whose retries all failed, when a complaint is tried again "
        "(doubled each time, at most an hour); it waits stored meanwhile, never dropped.",
    )

    # Intake: proving a NIK with Dukcapil (verify only; see docs/intake.md)
    dukcapil_url: str = Field(
        "http://localhost:8020",
        description="Base URL of Dukcapil's NIK verification service (POST /v1/nik/verify); "
        "locally the simulator `make up` starts.",
    )
    dukcapil_token: SecretStr = Field(
        SecretStr("local-dukcapil-token"),
        description="Bearer token for Dukcapil's verification service. The default is for "
        "the local simulator only.",
    )
    dukcapil_timeout_seconds: float = Field(
        3.0, gt=0, le=30, description="One verification request to Dukcapil."
    )
    dukcapil_retries: int = Field(
        2, ge=0, le=5, description="Retries after a failed request (timeout, 5xx), with backoff."
    )
    dukcapil_breaker_failures: int = Field(
        5,
        ge=1,
        description="Failed verifications in a row that open the circuit: requests then fail "
        "at once until the cool-down ends.",
    )
    dukcapil_breaker_seconds: float = Field(
        30.0, gt=0, description="How long the open circuit refuses before one trial request."
    )
    nik_checks_per_day: int = Field(
        5,
        ge=1,
        description="NIK verification attempts one account may make per 24 hours (a "
        "no-match answer tells something, so tries are few).",
    )

    # Notify: channels, retries and the rate limit (see docs/notify.md)
    smtp_host: str = Field("localhost", description="SMTP server that sends citizens' email.")
    smtp_port: int = Field(1025, ge=1, le=65535, description="SMTP port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        "none", description="none (local), starttls (submission, 587) or tls (implicit, 465)."
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_sender: str = Field(
        "MPP Digital <noreply@mpp.local>", description="From address of citizens' email."
    )
    messaging_provider_url: str = Field(
        "http://localhost:8010",
        description="Base URL of the SMS and WhatsApp provider adapter (POST /v1/messages).",
    )
    messaging_provider_token: SecretStr = Field(
        SecretStr("local-provider-token"), description="Bearer token for the SMS/WhatsApp provider."
    )
    notify_send_timeout_seconds: float = Field(
        10.0, gt=0, description="One send attempt to the SMTP server or the provider."
    )
    notify_retry_attempts: int = Field(
        6, ge=1, le=20, description="Send attempts per notice before technical-failure."
    )
    notify_retry_backoff_seconds: float = Field(
        30.0, ge=0, description="Delay after the first temporary failure; doubles per attempt."
    )
    notify_retry_max_delay_seconds: float = Field(
        3600.0, ge=0, description="Longest delay between two attempts."
    )
    notify_rate_per_recipient: int = Field(
        5,
        ge=1,
        description="Notices one recipient receives per window on each channel; "
        "the excess waits for the next window (never dropped).",
    )
    notify_rate_window_seconds: float = Field(
        60.0, gt=0, description="Length of the rate-limit window."
    )
    notify_poll_seconds: float = Field(
        1.0, gt=0, description="How often due sends and retries are looked for."
    )
    notify_lease_seconds: float = Field(
        60.0, gt=0, description="A send claimed by a process that died is retried after this."
    )
    notify_concurrency: int = Field(10, ge=1, le=200, description="Sends in flight at once.")

    # Notify: push to citizens' devices (Web Push, FCM; see docs/notify.md)
    vapid_private_key: SecretStr | None = Field(
        None,
        description="P-256 private key that signs Web Push requests (VAPID, RFC 8292): a PEM "
        "file path or the PEM in base64. Unset: a key in <local_dir>/keys/, made on first use "
        "(local mode only; production refuses to start without one, since a new key orphans "
        "every browser's subscription).",
    )
    vapid_subject: str = Field(
        "mailto:noreply@mpp.local",
        pattern=r"^(mailto:|https://)",
        description="The operator's contact sent to Web Push services in the VAPID claims "
        "(a mailto: or https: URL).",
    )
    push_ttl_seconds: int = Field(
        4 * 24 * 3600,
        ge=0,
        le=28 * 24 * 3600,
        description="How long a push service keeps a notice for a device that is offline.",
    )
    push_devices_per_citizen: int = Field(
        10, ge=1, le=100, description="Devices one citizen may register; the oldest goes first."
    )
    push_allow_private_endpoints: bool = Field(
        False,
        description="Local mode: allow plain HTTP Web Push endpoints on loopback or private "
        "addresses (test receivers). Never in production.",
    )
    fcm_credentials: SecretStr | None = Field(
        None,
        description="Firebase service account (JSON: a file path or the JSON in base64) for "
        "native app push through FCM HTTP v1. Unset: native app push is off.",
    )
    fcm_url: str = Field(
        "https://fcm.googleapis.com",
        description="Base URL of the FCM HTTP v1 API (POST /v1/projects/<id>/messages:send).",
    )

    # Audit (see docs/audit.md)
    audit_signing_key: SecretStr | None = Field(
        None,
        description="Ed25519 private key that signs audit checkpoints: a PEM file path or "
        "the PEM in base64. Unset: a key in <local_dir>/keys/, made on first start.",
    )
    audit_checkpoint_interval: int = Field(
        1000, ge=1, description="A signed checkpoint at least every this many records."
    )
    audit_linger_ms: int = Field(
        250,
        ge=0,
        le=5_000,
        description="After appending a poll of fewer than 32 records, audit waits this long "
        "before reading the next, so records arriving meanwhile are appended in one write: at 10 "
        "applications/s ~0.4 inserts per application instead of ~3.6. The log is this much "
        "later; citizens and agencies wait on nothing it writes. 0: read again at once.",
    )
    audit_verify_step: int = Field(
        20_000,
        ge=1,
        description="Records one GET /api/v1/audit/verify verifies at most, after the last "
        "verified position (the next request carries on); the whole log is verified by a "
        "job (POST /api/v1/audit/verify/jobs, mpp audit verify).",
    )

    # Retention of personal data (see docs/retention.md; one table: shared/retention_policy.py)
    retain_accounts_closed_days: int = Field(
        30,
        ge=1,
        description="Days a closed or erased account (closed_at) is kept before intake's "
        "sweeper deletes it and its drafts and sign-in sessions.",
    )
    retain_applications_decided_days: int = Field(
        1825,
        ge=1,
        description="Days a decided application (rejected, completed) is kept after its last "
        "status change, in intake and routing. Default five years; set it to the agency's "
        "archive retention schedule (jadwal retensi arsip, ANRI).",
    )
    retain_applications_withdrawn_days: int = Field(
        365,
        ge=1,
        description="Days an application the citizen withdrew (cancelled) is kept after its "
        "last status change, in intake and routing.",
    )
    retain_documents_days: int = Field(
        90,
        ge=1,
        description="Days an uploaded document no kept application names (its application "
        "was swept, or it was never submitted) stays in intake's GridFS; at least the life "
        "of a draft (90 days), which may name uploads not yet submitted.",
    )
    retain_notices_days: int = Field(
        730,
        ge=1,
        description="Days notify keeps a notice (the in-app inbox), its finished deliveries "
        "and the survey invitation that came with it.",
    )
    retain_access_records_days: int = Field(
        1825,
        ge=1,
        description="Days a record of who read a citizen's data is needed; the records live in "
        "the append-only audit log (kept, erased by crypto-shredding), so this bounds the "
        "access topic's retention.",
    )
    retain_dead_letters_days: int = Field(
        90,
        ge=1,
        description="Days a failed webhook delivery (routing) is kept for an operator to "
        "redeliver; bounds the dead-letter topic's retention.",
    )
    retain_payment_records_days: int = Field(
        3653,
        ge=1,
        description="Days a finished bill (paid, expired, failed) and a settlement import "
        "with its findings are kept in routing, from the bill's last change or the import. "
        "Default ten years: the period Indonesian law keeps financial books and their "
        "supporting documents (docs/payments.md, 'How long bills are kept').",
    )
    retention_sweep_seconds: float = Field(
        3600.0, gt=0, description="How often each service's retention sweeper runs."
    )
    retention_batch: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Rows one retention delete removes at most, so none holds a long write.",
    )
    survey_token_secret: SecretStr = Field(
        SecretStr("local-survey-token-key"),
        description="HMAC key (notify only) turning an application id into the one-way token "
        "that allows one SKM answer per application while the answer stores no id. The "
        "default is for the local stack only; production sets its own.",
    )

    # The MPP's queue (see docs/queue.md)
    queue_clock_file: Path | None = Field(
        None,
        description="For rehearsals and tests only: a file holding the moment (ISO 8601 with "
        "its offset) the queue's clock shows in intake (check-in windows, walk-ins' slots, "
        "releases) and notify (reminders). Unset, or the file missing or empty: the real time.",
    )
    queue_release_sweep_seconds: float = Field(
        60.0, gt=0, description="How often intake releases bookings past their grace period."
    )
    queue_reminder_poll_seconds: float = Field(
        30.0, gt=0, description="How often notify looks for queue reminders that are due."
    )

    # Observability (see docs/operations.md)
    otlp_endpoint: str | None = Field(
        None,
        description="OpenTelemetry collector that receives traces over OTLP/HTTP, e.g. "
        "http://jaeger:4318 (spans go to <endpoint>/v1/traces). Unset or empty: tracing is "
        "off and nothing is instrumented.",
    )

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO")
    log_format: Literal["auto", "console", "json"] = Field(
        "auto", description="console in a terminal, JSON otherwise when auto."
    )

    # Web pages
    web_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Public base URL of each service's pages, for links between them behind a "
        'proxy, JSON: {"intake": "https://mpp.example.go.id/intake"}; a service not named '
        "is linked at http://127.0.0.1:<its port>.",
    )
    portal_url: str = Field(
        "",
        description="The site's public address as citizens reach it, scheme and host (e.g. "
        "https://mpp.example.go.id): every notice (email, SMS, WhatsApp, push) links "
        "absolutely to <portal>/portal/applications/<id> and, once finished, to the survey "
        "page <portal>/surveys/<id>. A service MPP_WEB_URLS names with an absolute URL is "
        "linked there instead. Empty: each service's own address, "
        "http://127.0.0.1:<its port>.",
    )

    document_link_secret: SecretStr = Field(
        SecretStr("local-document-link-key"),
        description="HMAC key shared by routing and intake that signs officers' short-lived "
        "document links and (a key derived from it) the browser address intake names when "
        "it asks identity. The default is for the local stack only; the secure deployment "
        "sets its own (DOCUMENT_LINK_PASSWORD in deploy/.env).",
    )
    document_link_seconds: int = Field(
        300, ge=10, le=86400, description="How long an officer's document link stays valid."
    )

    # Personal data (UU PDP): docs/privacy.md
    master_key_file: str | None = Field(
        None,
        description="File holding the master key (base64 of 32 random bytes) that wraps every "
        "citizen's data key. Unset: <MPP_LOCAL_DIR>/keys/master.key, created on the local stack; "
        "production refuses to start without the file.",
    )
    blind_index_secret: SecretStr = Field(
        SecretStr("local-blind-index-key"),
        description="HMAC key of the blind indexes by which intake finds an account by NIK or "
        "email without storing either in plaintext. The default is for the local stack only; "
        "changing it later needs the indexes rebuilt (docs/privacy.md).",
    )
    data_key_cache_seconds: float = Field(
        60,
        ge=0,
        description="How long a process keeps a citizen's unwrapped data key; a destroyed key "
        "stops opening anything everywhere within this time.",
    )
    internal_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Where one service calls another's API server to server, JSON: "
        '{"identity": "http://identity:8004"} (intake asks identity about accounts, routing '
        "exchanges the workbench's sign-in codes at its token endpoint, identity asks "
        "intake, notify and audit for a citizen's data); unset for a service: "
        "http://127.0.0.1:<its port>.",
    )
    data_export_seconds: int = Field(
        900,
        ge=60,
        le=86400,
        description="How long a citizen's copy of their data ('download my data') can be fetched.",
    )

    # Local stack
    local_dir: str = Field(".local", description="Folder for local broker and database data.")
    local_stack: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Whether `make up` starts the local broker and database: auto starts each "
        "unless MPP_KAFKA_BOOTSTRAP / MPP_MONGO_URI are set in the environment.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        """``10.0.0.5, 10.0.1.0/24`` or a JSON list; every entry an address or a network
        (a typo must fail here, not silently trust nothing)."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            value = [str(entry).strip() for entry in value if str(entry).strip()]
            for entry in value:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
        return value

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _algorithm_list(cls, value: Any) -> Any:
        """``EdDSA,RS256`` or a JSON list; ``none`` and the HMAC algorithms are refused: a
        verifier holding only public keys must never accept a shared-secret signature."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            value = [str(entry).strip() for entry in value if str(entry).strip()]
            for entry in value:
                if entry.lower() == "none" or entry.upper().startswith("HS"):
                    raise ValueError(f"MPP_OIDC_ALGORITHMS may not allow {entry}")
            if not value:
                raise ValueError("MPP_OIDC_ALGORITHMS must name at least one algorithm")
        return value

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    def proxies(self) -> list[str]:
        """The proxies to trust: as set, else loopback in local mode and none otherwise."""
        if self.trusted_proxies is not None:
            return list(self.trusted_proxies)
        return ["127.0.0.1", "::1"] if self.is_local else []

    @model_validator(mode="after")
    def _lease_renewed_twice_per_lease(self) -> "Settings":
        if self.outbox_lease_renew_seconds * 2 > self.outbox_lease_seconds:
            raise ValueError("MPP_OUTBOX_LEASE_RENEW_SECONDS must be at most half the lease")
        return self

    def webhook_retry_delays(self) -> list[float]:
        """The retry schedule in seconds, e.g. ``30s,5m`` → ``[30.0, 300.0]``."""
        units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        delays = []
        for part in self.webhook_retry_schedule.split(","):
            text = part.strip()
            unit = "ms" if text.endswith("ms") else text[-1]
            delays.append(float(text[: -len(unit)]) * units[unit])
        return delays

    def database_name(self, service: str) -> str:
        """Each service owns its own database; nothing else writes to it."""
        if service == "identity" and self.identity_database:
            return self.identity_database
        return f"{self.namespace}_{service}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
