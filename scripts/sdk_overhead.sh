#!/usr/bin/env bash
# The C++ client SDK's overhead next to the npm openai SDK's: both send N chat completions with
# CONCURRENCY in flight to the same local server, which answers at once (docs/PERFORMANCE.md).
#   scripts/sdk_overhead.sh [N=20000] [CONCURRENCY=32]   (after building sdk_overhead_bench, npm ci in tests/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
concurrency=${2:-32}
bench=build/sdk/sdk_overhead_bench
exec 3< <($bench serve)
server=$!
read -r _ port <&3
trap 'kill $server' EXIT
url=http://127.0.0.1:$port
for round in 1 2; do
  echo "round $round"
  $bench client "$url" "$n" "$concurrency"
  node tests/e2e/sdk_overhead_openai.mjs "$url" "$n" "$concurrency"
done
