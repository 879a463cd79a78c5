#!/usr/bin/env bash
# Runs the REST benchmark: installs dependencies, builds a Release `ecr` into
# build-bench/, then runs tests/bench/rest_bench.py against it and prints the
# summary. Extra arguments go to rest_bench.py (e.g. --configs 1000000).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-bench"

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DECR_BUILD_TESTS=OFF
cmake --build "$build" -j"$(nproc)" --target ecr
exec python3 "$root/tests/bench/rest_bench.py" --ecr "$build/ecr" "$@"
