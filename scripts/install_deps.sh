#!/usr/bin/env bash
# Installs the Debian 12 packages tachyon builds and tests with. Run as root (or with sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  libfmt-dev nlohmann-json3-dev libcli11-dev libpcre2-dev libicu-dev libssl-dev libsqlite3-dev libpq-dev \
  libboost1.81-dev prometheus-cpp-dev libhiredis-dev \
  libgtest-dev libgmock-dev libsimde-dev clang-14 curl python3 >/dev/null
# PostgreSQL 15 and Redis: shared state for replicas (--database, --redis), and the throwaway
# servers their tests start (scripts/pg_test_server.sh, scripts/redis_test_server.sh); without them
# those cases are skipped. nginx-light: deploy/check.sh validates deploy/nginx/tachyon.conf with nginx -t.
$SUDO apt-get install -y -qq --no-install-recommends postgresql-15 redis-server nginx-light >/dev/null
# Node.js runs the end-to-end tests with the npm openai and Perplexity clients.
if ! command -v node >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
