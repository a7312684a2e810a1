#!/usr/bin/env bash
# Entrypoint of MongoDB in the secure deployment (docker-compose.secure.yml).
#
# A replica set with access control needs a key file for its members' internal
# authentication; mongod refuses one that others can read. The key comes in as a
# compose secret (a bind mount with the host's owner and mode), so it is copied to a
# file owned by the mongodb user with mode 0400, then the image's own entrypoint runs
# (it creates the root user and runs /docker-entrypoint-initdb.d on first start).
set -euo pipefail

source_file="${MONGO_KEYFILE_SOURCE:-/run/secrets/mongo_keyfile}"
target_file=/tmp/mongo-keyfile

if [[ ! -s "${source_file}" ]]; then
  echo "missing key file ${source_file}: openssl rand -base64 756 > deploy/secrets/mongo-keyfile" >&2
  exit 1
fi
install -m 0400 -o mongodb -g mongodb "${source_file}" "${target_file}"

exec docker-entrypoint.sh "$@"
