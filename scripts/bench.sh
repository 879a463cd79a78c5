#!/usr/bin/env bash
# Runs the benchmarks: installs dependencies, builds a Release `ecr` and the CDTP
# load generator into build-bench/, then runs tests/bench/rest_bench.py and
# tests/bench/cdtp_bench.py against them and prints their summaries.
#
#   bash scripts/bench.sh                 # both, default settings
#   bash scripts/bench.sh rest [ARGS...]  # REST only, ARGS to rest_bench.py
#   bash scripts/bench.sh cdtp [ARGS...]  # CDTP only, ARGS to cdtp_bench.py
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-bench"

which=all
case "${1:-}" in
  rest | cdtp) which=$1; shift ;;
  "") ;;
  *) echo "usage: $0 [rest|cdtp [ARGS...]]" >&2; exit 2 ;;
esac

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DECR_BUILD_TESTS=OFF \
  -DECR_BUILD_BENCH=ON
cmake --build "$build" -j"$(nproc)" --target ecr ecr_cdtp_bench

rest() {
  python3 "$root/tests/bench/rest_bench.py" --ecr "$build/ecr" "$@"
}
cdtp() {
  python3 "$root/tests/bench/cdtp_bench.py" --ecr "$build/ecr" \
    --cdtp-bench "$build/tests/bench/ecr_cdtp_bench" "$@"
}

case $which in
  rest) rest "$@" ;;
  cdtp) cdtp "$@" ;;
  all)
    # CDTP runs even if REST could not, unless REST was interrupted (Ctrl-C:
    # 130, SIGTERM: 143). The exit code is the first failure's.
    rc=0
    rest || rc=$?
    if ((rc == 130 || rc == 143)); then exit "$rc"; fi
    echo
    cdtp_rc=0
    cdtp || cdtp_rc=$?
    exit $((rc ? rc : cdtp_rc))
    ;;
esac
