#!/usr/bin/env bash
# System packages and services the tests need (PostgreSQL, Chromium ...), each installed and started
# by its own hook in scripts/system-deps.d/ only when missing. Safe to run again; CI runs it on a
# bare machine as root (see .ci/run via `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
for hook in scripts/system-deps.d/*.sh; do
  [ -e "$hook" ] || continue
  bash "$hook"
done
