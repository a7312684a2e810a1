#!/usr/bin/env bash
# Prepares the secrets of the secure deployment on the host that runs it.
#
#   bash deploy/make-secrets.sh
#
# * deploy/.env: created from deploy/.env.example when absent; every empty *_PASSWORD
#   gets a random value (48 hex characters). Values already set are kept, so running it
#   again never rotates a password by surprise.
# * deploy/secrets/mongo-keyfile: the replica set's key file, created when absent.
# * deploy/secrets/vapid-key.pem: notify's Web Push (VAPID) key, P-256, created when
#   absent and never replaced: browsers' push subscriptions are bound to it.
#
# Both stay on this host (deploy/.gitignore); mode 0600.
set -euo pipefail

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_file="${ENV_FILE:-${deploy}/.env}"
secrets_dir="${SECRETS_DIR:-${deploy}/secrets}"

random_secret() {
  openssl rand -hex 24
}

umask 077
if [[ ! -e "${env_file}" ]]; then
  cp "${deploy}/.env.example" "${env_file}"
  echo "created ${env_file} from .env.example"
fi

tmp="$(mktemp "${env_file}.XXXXXX")"
trap 'rm -f "${tmp}"' EXIT
filled=0
while IFS= read -r line || [[ -n "${line}" ]]; do
  if [[ "${line}" =~ ^([A-Z0-9_]*PASSWORD[A-Z0-9_]*)=$ ]]; then
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(random_secret)"
    filled=$((filled + 1))
  else
    printf '%s\n' "${line}"
  fi
done <"${env_file}" >"${tmp}"
chmod 600 "${tmp}"
mv "${tmp}" "${env_file}"
trap - EXIT
echo "${env_file}: ${filled} password(s) generated"

mkdir -p "${secrets_dir}"
if [[ ! -s "${secrets_dir}/mongo-keyfile" ]]; then
  openssl rand -base64 756 >"${secrets_dir}/mongo-keyfile"
  chmod 600 "${secrets_dir}/mongo-keyfile"
  echo "created ${secrets_dir}/mongo-keyfile"
fi
if [[ ! -s "${secrets_dir}/master.key" ]]; then
  openssl rand -base64 32 >"${secrets_dir}/master.key"
  chmod 644 "${secrets_dir}/master.key"  # a docker secret keeps the host's mode
  echo "created ${secrets_dir}/master.key"
fi
if [[ ! -s "${secrets_dir}/vapid-key.pem" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${secrets_dir}/vapid-key.pem"
  # Readable by the container's user (a docker secret keeps the host's mode); the folder
  # stays 0700.
  chmod 644 "${secrets_dir}/vapid-key.pem"
  echo "created ${secrets_dir}/vapid-key.pem"
fi
