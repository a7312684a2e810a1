#!/usr/bin/env bash
# Entrypoint of the Kafka broker in the secure deployment (docker-compose.secure.yml).
#
# Writes the broker's JAAS file from BROKER_ADMIN_PASSWORD, then starts the image's own
# launcher. The secret lives in the container's environment and in a file under /tmp
# readable only by the broker's user; it is never part of an image.
#
# * SASL/PLAIN "admin": the broker's own identity on the controller and inter-broker
#   listeners, and the operators' and kafka-acls job's super user.
# * SASL/SCRAM-SHA-512: every service and agency principal; their credentials live in
#   the cluster metadata and are managed by setup-acls.sh.
#
# The apache/kafka image turns every KAFKA_* variable into a broker property, so the
# secret is deliberately not named KAFKA_*.
set -euo pipefail

: "${BROKER_ADMIN_PASSWORD:?BROKER_ADMIN_PASSWORD must be set}"
if [[ ! "${BROKER_ADMIN_PASSWORD}" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
  echo "BROKER_ADMIN_PASSWORD: use 16 or more of A-Z a-z 0-9 . _ ~ -" >&2
  exit 1
fi

dir=/tmp/mpp-kafka
umask 077
mkdir -p "${dir}"

cat >"${dir}/broker_jaas.conf" <<JAAS
KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin"
    password="${BROKER_ADMIN_PASSWORD}"
    user_admin="${BROKER_ADMIN_PASSWORD}";
  org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS

# Client settings for the healthcheck and for operators (docker compose exec kafka ...).
cat >"${dir}/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${BROKER_ADMIN_PASSWORD}";
PROPS

export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=${dir}/broker_jaas.conf"
unset BROKER_ADMIN_PASSWORD

exec "$@"
