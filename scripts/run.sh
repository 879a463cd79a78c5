#!/usr/bin/env bash
# Installs what ecr needs, builds it, and runs it on its embedded defaults:
# the SQLite store in ./data and the REST API on port 8080. Any setting can be
# overridden through the environment (see docs/configuration.md), e.g.
#   SERVER_PORT=9000 scripts/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DECR_BUILD_TESTS=OFF
export SERVER_PORT=${SERVER_PORT:-8080}
export STORAGE_SQLITE_PATH=${STORAGE_SQLITE_PATH:-$root/data/ecr.db}
echo "run: ecr on http://localhost:$SERVER_PORT, store $STORAGE_SQLITE_PATH (Ctrl-C stops it)"
exec "$root/build-release/ecr"
