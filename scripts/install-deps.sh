#!/usr/bin/env bash
# Installs every Debian 12 package ecr needs to build, run, test and benchmark.
# Safe to run repeatedly; skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libcaf-dev libnats-dev nats-server
  libboost-dev libsqlite3-dev libsimdjson-dev rapidjson-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libssl-dev libcurl4-openssl-dev prometheus-cpp-dev
  libvalijson-dev libmongoc-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-avro python3-yaml python3-mockupdb curl procps prometheus
  wrk nginx-light openssl
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
  golang-gopkg-yaml.v2-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
