"""Typed settings, read once from the environment (prefix ``MPP_``).

Every setting has a default that matches the local stack (``make up``), so a fresh clone
runs with no configuration; containers and production override them through the same
variables. The object is frozen: configuration does not change after it is read.
"""

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MPP_", frozen=True, extra="ignore")

    # Kafka
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers.")
    kafka_idempotent_producer: bool = Field(
        False,
        description="Idempotent producer (turn on for Apache Kafka; the local broker "
        "rejects InitProducerId).",
    )
    kafka_partitions: int = Field(3, ge=1, description="Partitions per topic at provisioning.")
    kafka_replication_factor: int = Field(1, ge=1, description="Replicas per topic.")
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

    # HTTP
    http_host: str = Field("127.0.0.1", description="Interface the HTTP servers bind to.")
    intake_port: int = Field(8000, description="Intake HTTP port.")
    routing_port: int = Field(8001, description="Routing HTTP port.")
    notify_port: int = Field(8002, description="Notify HTTP port.")
    audit_port: int = Field(8003, description="Audit HTTP port.")

    # Delivery
    handler_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per event before it is dead-lettered."
    )
    retry_backoff_seconds: float = Field(
        0.2, ge=0, description="First retry delay; doubles per attempt."
    )
    outbox_poll_seconds: float = Field(
        1.0, gt=0, description="Outbox relay poll interval when not woken by a commit."
    )

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO")
    log_format: Literal["auto", "console", "json"] = Field(
        "auto", description="console in a terminal, JSON otherwise when auto."
    )

    # Local stack
    local_dir: str = Field(".local", description="Folder for local broker and database data.")

    def database_name(self, service: str) -> str:
        """Each service owns its own database; nothing else writes to it."""
        return f"{self.namespace}_{service}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
