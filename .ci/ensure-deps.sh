#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine with Node 20:
# node_modules (npm ci when missing or older than package-lock.json) and Debian packages.
# Not root and a package missing: one line naming what to install, exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
want_pkgs="${1:-redis-server redis-tools}"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

declare -A bin_of=([redis-server]=redis-server [redis-tools]=redis-cli [redis-sentinel]=redis-sentinel
  [haproxy]=haproxy [python3-redis]=/usr/lib/python3/dist-packages/redis [openssl]=openssl
  [prometheus]=promtool [iproute2]=ip [systemd]=systemd-analyze [docker.io]=dockerd)
missing=()
for pkg in $want_pkgs; do
  probe="${bin_of[$pkg]:-$pkg}"
  if [[ "$probe" == /* ]]; then [ -e "$probe" ] || missing+=("$pkg"); else command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-deps: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep packaged services (redis, haproxy, prometheus) from starting: tests run their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    (apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1) ||
      (apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null)
    rm -f /usr/sbin/policy-rc.d
  else
    echo "ensure-deps: please install the Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
