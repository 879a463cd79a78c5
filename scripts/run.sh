#!/usr/bin/env bash
# Installs what ecr needs, builds it, and runs it on its embedded defaults:
# the SQLite store in ./data, the REST API on port 8080, and — unless
# NATS_URLS names a server — a local nats-server on 127.0.0.1:4222 that this
# script starts and stops. Any setting can be overridden through the
# environment (see the README), e.g.  SERVER_PORT=9000 scripts/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DECR_BUILD_TESTS=OFF
export SERVER_PORT=${SERVER_PORT:-8080}
export STORAGE_SQLITE_PATH=${STORAGE_SQLITE_PATH:-$root/data/ecr.db}

nats_pid=
stop_nats() {
  [[ -n $nats_pid ]] && kill "$nats_pid" 2>/dev/null && wait "$nats_pid" 2>/dev/null
  return 0
}
if [[ -z ${NATS_URLS:-} ]]; then
  nats_port=${ECR_RUN_NATS_PORT:-4222}
  mkdir -p "$root/data"
  nats-server -a 127.0.0.1 -p "$nats_port" > "$root/data/nats-server.log" 2>&1 &
  nats_pid=$!
  trap stop_nats EXIT
  export NATS_URLS="nats://127.0.0.1:$nats_port"
  echo "run: started nats-server (pid $nats_pid) on $NATS_URLS; log in data/nats-server.log"
fi

echo "run: ecr on http://localhost:$SERVER_PORT, store $STORAGE_SQLITE_PATH, NATS $NATS_URLS (Ctrl-C stops it)"
"$root/build-release/ecr" &
ecr_pid=$!
trap 'kill -TERM $ecr_pid 2>/dev/null' INT TERM
wait "$ecr_pid" || status=$?
wait "$ecr_pid" 2>/dev/null || true
exit "${status:-0}"
