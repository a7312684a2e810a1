#!/usr/bin/env bash
# One-shot job of the secure deployment: SCRAM-SHA-512 users and ACLs on Kafka.
#
# Runs in the apache/kafka image (kafka-configs.sh, kafka-acls.sh) as the admin
# principal (SASL/PLAIN, the broker's only super user) and applies acls.conf.
# Idempotent: every user is upserted (a changed password is rotated), ACLs that exist
# already are left as they are. Grants removed from acls.conf are not revoked here:
# list them with kafka-acls.sh --list and remove them by hand.
#
# Environment:
#   BOOTSTRAP             broker address (default kafka:9092)
#   NAMESPACE             topic namespace (default mpp)
#   AGENCIES              the parties with an inbox, separated by spaces: each Kafka
#                         system, and each Kafka office no system serves
#                         (python deploy/kafka/acls.py --parties prints them)
#   ADMIN_PASSWORD        the broker's admin password
#   PASSWORD_<PRINCIPAL>  one for each principal of acls.conf, upper-case, "-" as "_"
#                         (PASSWORD_INTAKE, PASSWORD_AGENCY_DISDUKCAPIL_3576, ...)
#   DRY_RUN=1             print the users and grants, contact nothing, need no password
#
# Passwords: 16 or more of A-Z a-z 0-9 . _ ~ - (they are embedded in SCRAM and JAAS
# strings and in MongoDB URIs); `openssl rand -hex 24` makes a good one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plan="${ACL_PLAN:-$here/acls.conf}"
bootstrap="${BOOTSTRAP:-kafka:9092}"
namespace="${NAMESPACE:-mpp}"
dry_run="${DRY_RUN:-0}"
bin="${KAFKA_BIN:-/opt/kafka/bin}"
read -r -a agencies <<<"${AGENCIES:?AGENCIES must list the Kafka systems and lone Kafka offices}"

ns_token='{ns}'
agency_token='{agency}'

# The plan with {ns} and {agency} expanded: "principal operation resource pattern name".
expand_plan() {
  local principal operation resource pattern name extra agency
  while read -r principal operation resource pattern name extra || [[ -n "${principal:-}" ]]; do
    [[ -z "${principal:-}" || "${principal}" == \#* ]] && continue
    if [[ -z "${name:-}" || -n "${extra:-}" ]]; then
      echo "acls.conf: expected 5 fields: ${principal} ${operation:-} ${resource:-} ..." >&2
      return 1
    fi
    case "${resource}" in topic | group) ;; *)
      echo "acls.conf: unknown resource ${resource}" >&2
      return 1
      ;;
    esac
    case "${pattern}" in literal | prefixed) ;; *)
      echo "acls.conf: unknown pattern ${pattern}" >&2
      return 1
      ;;
    esac
    name="${name//"$ns_token"/$namespace}"
    if [[ "${principal}${name}" == *"${agency_token}"* ]]; then
      for agency in "${agencies[@]}"; do
        echo "${principal//"$agency_token"/$agency} ${operation} ${resource} ${pattern} ${name//"$agency_token"/$agency}"
      done
    else
      echo "${principal} ${operation} ${resource} ${pattern} ${name}"
    fi
  done <"${plan}"
}

grants="$(expand_plan)"

# Operations merged per (principal, resource, pattern, name): one kafka-acls.sh call each.
declare -A operations=()
declare -a order=()
declare -A principals=()
declare -a principal_order=()
while read -r principal operation resource pattern name; do
  key="${principal} ${resource} ${pattern} ${name}"
  if [[ -z "${operations[$key]:-}" ]]; then
    order+=("${key}")
    operations[$key]="${operation}"
  else
    operations[$key]+=",${operation}"
  fi
  if [[ -z "${principals[$principal]:-}" ]]; then
    principals[$principal]=1
    principal_order+=("${principal}")
  fi
done <<<"${grants}"

password_of() {
  local variable="PASSWORD_${1^^}"
  variable="${variable//-/_}"
  local value="${!variable:-}"
  if [[ -z "${value}" ]]; then
    echo "${variable} is not set (password of the Kafka principal $1)" >&2
    return 1
  fi
  if [[ ! "${value}" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
    echo "${variable}: use 16 or more of A-Z a-z 0-9 . _ ~ -" >&2
    return 1
  fi
  printf '%s' "${value}"
}

if [[ "${dry_run}" == "1" ]]; then
  for principal in "${principal_order[@]}"; do
    echo "user ${principal}"
  done
  for key in "${order[@]}"; do
    read -r principal resource pattern name <<<"${key}"
    echo "acl User:${principal} ${resource} ${pattern} ${name} ${operations[$key]}"
  done
  exit 0
fi

: "${ADMIN_PASSWORD:?ADMIN_PASSWORD must be set}"
# Check every password before changing anything.
for principal in "${principal_order[@]}"; do
  password_of "${principal}" >/dev/null
done

umask 077
admin_config="$(mktemp)"
trap 'rm -f "${admin_config}"' EXIT
cat >"${admin_config}" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${ADMIN_PASSWORD}";
EOF

for attempt in $(seq 1 30); do
  if "${bin}/kafka-broker-api-versions.sh" --bootstrap-server "${bootstrap}" \
    --command-config "${admin_config}" >/dev/null 2>&1; then
    break
  fi
  echo "waiting for the broker (${attempt}/30)"
  sleep 2
done

for principal in "${principal_order[@]}"; do
  "${bin}/kafka-configs.sh" --bootstrap-server "${bootstrap}" --command-config "${admin_config}" \
    --alter --entity-type users --entity-name "${principal}" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(password_of "${principal}")]" \
    >/dev/null
  echo "user ${principal}: SCRAM-SHA-512 credential set"
done

for key in "${order[@]}"; do
  read -r principal resource pattern name <<<"${key}"
  args=()
  IFS=',' read -r -a ops <<<"${operations[$key]}"
  for operation in "${ops[@]}"; do
    args+=(--operation "${operation}")
  done
  "${bin}/kafka-acls.sh" --bootstrap-server "${bootstrap}" --command-config "${admin_config}" \
    --add --allow-principal "User:${principal}" "${args[@]}" \
    "--${resource}" "${name}" --resource-pattern-type "${pattern}" >/dev/null
  echo "acl User:${principal} ${resource} ${pattern} ${name} ${operations[$key]}"
done

echo "Kafka users and ACLs are in place."
